"""Factories. Incidents are made through the services, so tests start from states the rules allow."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from crisis import roles
from incidents import services

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        if create and extracted:
            roles.sync_groups()
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


def admin_user(**kw):
    return UserFactory(group=roles.ADMINS, is_staff=True, **kw)


def commander_user(**kw):
    return UserFactory(group=roles.COMMANDERS, **kw)


def pr_user(**kw):
    return UserFactory(group=roles.PR_STAFF, **kw)


def responder_user(**kw):
    return UserFactory(group=roles.RESPONDERS, **kw)


def exec_user(**kw):
    return UserFactory(group=roles.EXECUTIVES, **kw)


def declare(by, *, commander=None, **overrides):
    values = {
        "kind": "site_safety",
        "severity": 2,
        "title": "Scaffold collapse at Block 3",
        "summary": "Two workers hurt.",
        "location": "Sunrise Gardens",
    }
    values.update(overrides)
    return services.declare_incident(by=by, commander=commander, **values)
