from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CrisisConfig(AppConfig):
    name = "crisis"
    verbose_name = _("War room")

    def ready(self) -> None:
        from incidents import events
        from incidents.notify import delivery as notify

        from . import broadcast, reports, roles

        events.subscribe(broadcast.on_timeline_event)
        notify.listen_in_console(broadcast.on_console_notifications)
        reports.register()
        # Groups and their permissions are data the code defines; keep them in step after every
        # migrate (and after test flushes, which also send post_migrate). The signal goes to apps
        # with models, in INSTALLED_APPS order: the last of ours (one voice) comes after every
        # permission the groups name has been created.
        post_migrate.connect(roles.sync_groups_after_migrate, sender=apps.get_app_config("voice"))
