"""GET /api/contacts/?kind=&project=: the emergency contacts, for everyone signed in (who to call)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError

from config.query import choices

from .models import Contact, ContactKind


class ContactSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "kind", "kind_label", "organisation", "person", "phone", "alt_phone", "email", "address",
                  "jurisdiction", "project", "notes"]  # fmt: skip


@extend_schema(
    parameters=[
        OpenApiParameter("kind", str, enum=ContactKind.values, many=True, description="Only these kinds."),
        OpenApiParameter(
            "project", str, description="A project's own contacts and those serving every project (its own first)."
        ),
    ]
)
class ContactList(generics.ListAPIView):
    serializer_class = ContactSerializer

    def get_queryset(self):
        queryset = Contact.objects.filter(active=True)
        kinds = choices(self.request, "kind", ContactKind.values)
        if kinds:
            queryset = queryset.filter(kind__in=kinds)
        project = self.request.query_params.get("project")
        if project is None:
            return queryset.in_kind_order()
        if len(project) > 200 or "\x00" in project:
            raise ValidationError({"project": [_("A project name of at most 200 characters.")]})
        return queryset.for_project(project.strip())
