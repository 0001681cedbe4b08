import csv
import io

import factory
import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from factory.django import DjangoModelFactory

from accounts.tests.factories import OrganizationFactory
from crm.models import (
    Contact,
    ContactImport,
    ContactImportError,
    ContactNote,
    ContactTag,
    ImportStatus,
    SearchWord,
    Tag,
)
from crm.services import search_columns


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Tag {n}")


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    organization = factory.SubFactory(OrganizationFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"client{n}@example.net")
    phone = factory.Sequence(lambda n: f"+1312555{n % 10000:04d}")
    emails = factory.LazyAttribute(lambda c: [{"value": c.email, "label": ""}] if c.email else [])
    phones = factory.LazyAttribute(lambda c: [{"value": c.phone, "label": ""}] if c.phone else [])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        contact = model_class(*args, **kwargs)
        search_columns(contact)
        contact.save()
        return contact


class ContactTagFactory(DjangoModelFactory):
    class Meta:
        model = ContactTag

    organization = factory.SubFactory(OrganizationFactory)
    contact = factory.SubFactory(ContactFactory, organization=factory.SelfAttribute("..organization"))
    tag = factory.SubFactory(TagFactory, organization=factory.SelfAttribute("..organization"))


class ContactNoteFactory(DjangoModelFactory):
    class Meta:
        model = ContactNote

    organization = factory.SubFactory(OrganizationFactory)
    contact = factory.SubFactory(ContactFactory, organization=factory.SelfAttribute("..organization"))
    body = factory.Faker("sentence")


class ContactImportFactory(DjangoModelFactory):
    """An uploaded import waiting for its mapping. Its file is only a name: tests that run an
    import upload a real one through crm.imports."""

    class Meta:
        model = ContactImport

    organization = factory.SubFactory(OrganizationFactory)
    file = "imports/tests/contacts.csv"
    original_name = "contacts.csv"
    encoding = "utf-8"
    delimiter = ","
    status = ImportStatus.MAPPING
    headers = factory.LazyFunction(lambda: ["First name", "Email"])
    sample_rows = factory.LazyFunction(lambda: [["Ada", "ada@example.net"]])
    mapping = factory.LazyFunction(lambda: {"First name": "first_name", "Email": "email"})
    total_rows = 1


class ContactImportErrorFactory(DjangoModelFactory):
    class Meta:
        model = ContactImportError

    organization = factory.SubFactory(OrganizationFactory)
    contact_import = factory.SubFactory(ContactImportFactory, organization=factory.SelfAttribute("..organization"))
    row = factory.Sequence(lambda n: n + 2)
    column = "Email"
    message = "“not-an-email” is not an email address."


def csv_upload(rows: list[list[str]], *, name: str = "contacts.csv", encoding: str = "utf-8", delimiter: str = ","):
    """A CSV file as a browser would upload it."""
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(rows: list[list], *, name: str = "contacts.xlsx"):
    """An Excel workbook whose first sheet holds ``rows``; cells keep their types (numbers, dates, formulas)."""
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        name, buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


class SearchWordFactory(DjangoModelFactory):
    class Meta:
        model = SearchWord

    organization = factory.SubFactory(OrganizationFactory)
    word = factory.Sequence(lambda n: f"word{n}")
