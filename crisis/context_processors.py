from django.conf import settings


def console(request):
    return {"LANGUAGE_CHOICES": settings.LANGUAGES}
