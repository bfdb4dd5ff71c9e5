"""Admin pieces shared by every app: most admin pages are for looking, because every change goes
through the services (which check the rules and write the timeline)."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StaffMayLookMixin(ReadOnlyAdminMixin):
    """Read-only, and visible to every active staff member."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


def registry_filter(title, parameter: str, lookups) -> type[admin.SimpleListFilter]:
    """A list filter on a code field whose names live in a registry a domain fills (alarm owner types,
    timeline kinds): the admin filters by the names people read, not by codes."""

    class RegistryFilter(admin.SimpleListFilter):
        parameter_name = parameter

        def lookups(self, request, model_admin):
            return lookups()

        def queryset(self, request, queryset):
            return queryset.filter(**{parameter: self.value()}) if self.value() else queryset

    RegistryFilter.title = title
    return RegistryFilter
