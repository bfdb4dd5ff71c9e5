from django.urls import path

from . import api

urlpatterns = [
    path("contacts/", api.ContactList.as_view(), name="contacts"),
]
