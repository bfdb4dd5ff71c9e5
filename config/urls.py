from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog, set_language

from crisis.views import page_not_found

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language switch works on the sign-in page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["crisis"]), name="javascript-catalog"),
    path("favicon.ico", login_not_required(RedirectView.as_view(url=static("crisis/favicon.svg"), permanent=True))),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("", include("crisis.urls")),
]

handler404 = page_not_found
