"""The directory in the admin: edited row by row, or exported and imported as CSV."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .exchange import ContactFileError, export_csv, import_csv
from .models import Contact


class ContactImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))
    replace = forms.BooleanField(label=gettext_lazy("Replace the whole directory with this file"), required=False)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["organisation", "person", "kind", "phone", "project", "jurisdiction", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["organisation", "person", "phone", "project", "jurisdiction"]
    change_list_template = "admin/contacts/contact/change_list.html"

    def get_urls(self):
        own = [
            path("import/", self.admin_site.admin_view(self.import_view), name="contacts_contact_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="contacts_contact_export"),
        ]
        return own + super().get_urls()

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        response = HttpResponse(export_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="contacts.csv"'
        return response

    def import_view(self, request):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = ContactImportForm(request.POST or None, request.FILES or None)
        problems: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                count = import_csv(upload.read(), replace=form.cleaned_data["replace"])
            except ContactFileError as exc:
                problems = exc.problems
            else:
                messages.success(request, _("%(n)s contacts imported.") % {"n": count})
                return redirect("admin:contacts_contact_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import contacts"),
            "form": form,
            "problems": problems,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/contacts/contact/import.html", context, status=400 if problems else 200)
