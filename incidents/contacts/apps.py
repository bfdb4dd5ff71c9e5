from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    """The emergency contacts (应急通讯录): authorities per jurisdiction, hospitals, the contractor and
    supervisor, lawyers, insurers and media — with the project or site each serves. It knows nothing
    of incidents: the war room asks it whom to call for a project."""

    name = "incidents.contacts"
    label = "contacts"
    verbose_name = _("Emergency contacts")
