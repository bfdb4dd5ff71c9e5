from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuthorityConfig(AppConfig):
    """Reports to authorities (事故快报 / 续报 / 补报): the structured report that 生产安全事故报告和
    调查处理条例 art. 12 asks for, its versions, and each submission — which meets the incident's
    reporting deadline with the officer and the minute as evidence."""

    name = "crisis.authority"
    label = "authority"
    verbose_name = _("Reports to authorities")

    def ready(self) -> None:
        from incidents import timeline

        from . import entries

        for code, label, describe, schema in entries.KINDS:
            timeline.register_kind(code, label, describe, schema)
