"""One row per thing said about an incident (a post, an article, a video) or per journalist's enquiry."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisis.voice.models import QALine, Statement
from incidents.models import Deadline, Incident


class MediaKind(models.TextChoices):
    POST = "post", _("Post")
    ARTICLE = "article", _("Article")
    VIDEO = "video", _("Video")
    ENQUIRY = "enquiry", _("Journalist's enquiry")


class Platform(models.TextChoices):
    WEIBO = "weibo", _("Weibo")
    WECHAT = "wechat", _("WeChat")
    DOUYIN = "douyin", _("Douyin")
    XIAOHONGSHU = "xiaohongshu", _("Xiaohongshu")
    TOUTIAO = "toutiao", _("Toutiao")
    NEWS_SITE = "news_site", _("News site")
    PRINT = "print", _("Newspaper")
    TV = "tv", _("TV or radio")
    FORUM = "forum", _("Forum or owners' group")
    PHONE = "phone", _("Phone")
    OTHER = "other", _("Other")


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class MediaItem(models.Model):
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="media_items", verbose_name=_("incident")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MediaKind.choices)
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    url = models.URLField(_("address (URL)"), max_length=500, blank=True)
    author = models.CharField(_("author or journalist"), max_length=200, blank=True)
    outlet = models.CharField(_("outlet"), max_length=200, blank=True)
    summary = models.TextField(_("what it says"))
    reach = models.PositiveIntegerField(_("reach (views, readers)"), null=True, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices, default=Sentiment.NEUTRAL)
    rumour = models.BooleanField(_("a rumour"), default=False)
    answered_by = models.ForeignKey(
        QALine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by (Q&A line)"),
    )
    rebutted_by = models.ForeignKey(
        Statement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rebutted by (statement)"),
    )
    seen_at = models.DateTimeField(_("seen at"), default=timezone.now)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("logged by")
    )
    callback = models.ForeignKey(
        Deadline,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("promised call-back"),
    )

    class Meta:
        verbose_name = _("media item")
        verbose_name_plural = _("media items")
        ordering = ["-seen_at", "-pk"]
        indexes = [models.Index(fields=["incident", "seen_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="enquiry") | ~Q(author=""), name="an_enquiry_names_its_journalist"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()}: {self.summary[:60]}"
