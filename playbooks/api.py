"""Read-only JSON API for playbooks: everyone signed in may read them; admins edit in the admin."""

from django.db.models import Prefetch
from rest_framework import generics

from .models import Playbook, PlaybookVersion, VersionState
from .serializers import PlaybookSerializer, PlaybookVersionSerializer


def _with_published(queryset):
    return queryset.prefetch_related(
        Prefetch(
            "versions",
            queryset=PlaybookVersion.objects.filter(state=VersionState.PUBLISHED),
            to_attr="published",
        )
    )


class PlaybookList(generics.ListAPIView):
    serializer_class = PlaybookSerializer

    def get_queryset(self):
        queryset = Playbook.objects.order_by("kind", "slug")
        kind = self.request.query_params.get("kind")
        if kind:
            queryset = queryset.filter(kind=kind)
        return _with_published(queryset)


class PlaybookDetail(generics.RetrieveAPIView):
    serializer_class = PlaybookSerializer
    queryset = _with_published(Playbook.objects.all())


class PlaybookVersionDetail(generics.RetrieveAPIView):
    serializer_class = PlaybookVersionSerializer
    queryset = PlaybookVersion.objects.select_related("playbook").prefetch_related(
        "steps", "deadline_rules", "statement_templates", "qa_lines"
    )
