"""Contacts as CSV, for admins who keep the directory in a spreadsheet: export every contact, and
import a file all or nothing — one bad row refuses the whole file, each problem named with its line."""

from __future__ import annotations

import csv
import io

from django import forms
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Contact

COLUMNS = ["kind", "organisation", "person", "phone", "alt_phone", "email", "address", "jurisdiction", "project",
           "notes", "active"]  # fmt: skip
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000


class ContactRowForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = COLUMNS


def export_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for contact in Contact.objects.order_by("kind", "organisation", "pk"):
        writer.writerow([getattr(contact, name) for name in COLUMNS])
    return "\ufeff" + out.getvalue()  # a byte-order mark, so that Excel reads the Chinese right


class ContactFileError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _text_of(raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise ContactFileError([_("The file is larger than 2 MB.")])
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ContactFileError([_("The file is neither UTF-8 nor GBK text.")])


def import_csv(raw: bytes, *, replace: bool = False) -> int:
    """Add the file's contacts (or, with `replace`, make them the whole directory). Returns how many."""
    text = _text_of(raw)
    if "\x00" in text:
        raise ContactFileError([_("The file contains a NUL character.")])
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in ("kind", "organisation", "phone") if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(_("Columns missing: %(names)s.") % {"names": ", ".join(missing)})
        if unknown:
            problems.append(_("Unknown columns: %(names)s.") % {"names": ", ".join(unknown)})
        raise ContactFileError(problems)
    reader.fieldnames = header
    forms_ok, problems = [], []
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            raise ContactFileError([_("More than %(n)s rows.") % {"n": MAX_ROWS}])
        if None in row:
            problems.append(_("line %(line)s: more cells than columns") % {"line": line})
            continue
        data = {name: (value or "").strip() for name, value in row.items()}
        data["active"] = data.get("active", "").lower() not in ("0", "false", "no", "否")
        form = ContactRowForm(data)
        if form.is_valid():
            forms_ok.append(form)
        else:
            for field, errors in form.errors.items():
                for error in errors:
                    problems.append(
                        _("line %(line)s: %(field)s: %(error)s") % {"line": line, "field": field, "error": error}
                    )
    if problems:
        raise ContactFileError(problems)
    if not forms_ok:
        raise ContactFileError([_("The file has no contacts.")])
    with transaction.atomic():
        if replace:
            Contact.objects.all().delete()
        for form in forms_ok:
            form.save()
    return len(forms_ok)
