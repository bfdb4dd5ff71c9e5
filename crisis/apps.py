from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CrisisConfig(AppConfig):
    name = "crisis"
    verbose_name = _("War room")

    def ready(self) -> None:
        from incidents import events

        from . import broadcast, roles

        events.subscribe(broadcast.on_timeline_event)
        # Groups and their permissions are data the code defines; keep them in step after every
        # migrate (and after test flushes, which also send post_migrate).
        post_migrate.connect(roles.sync_groups_after_migrate, sender=self)
