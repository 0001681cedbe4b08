"""A row with the email or phone of a live contact, or of an earlier row, follows the chosen policy."""

import pytest
from django.utils import timezone

from crm import imports
from crm.models import Contact, ContactSource, DuplicatePolicy, ImportStatus
from crm.tests.factories import ContactFactory, TagFactory, csv_upload

pytestmark = pytest.mark.django_db

ROWS = [
    ["First name", "Last name", "Email", "Phone", "City", "Tags"],
    ["Ada", "King", "ada@example.net", "", "London", "imported"],  # the same email as Ada
    ["Babbage", "", "", "(312) 555-0199", "", "imported"],  # the same phone as Charles
    ["New", "Person", "new@example.net", "", "", "imported"],
    ["New", "Again", "NEW@example.net", "312 555 0177", "Paris", "again"],  # repeats the row above
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def existing(org):
    ada = ContactFactory(organization=org, first_name="Ada", last_name="Lovelace", email="ada@example.net", phone="")
    charles = ContactFactory(
        organization=org, first_name="Charles", last_name="Babbage", email="charles@example.net", phone="+13125550199"
    )
    TagFactory(organization=org, name="Imported")
    return ada, charles


def _run(org, owner, policy: str, rows=ROWS):
    contact_import = imports.contact_import_create(
        organization=org, actor=owner, upload=csv_upload(rows), duplicate_policy=policy
    )
    contact_import.status = ImportStatus.PENDING
    contact_import.save()
    return imports.contact_import_run(import_id=contact_import.pk)


def _counts(contact_import) -> tuple[int, int, int, int]:
    return (
        contact_import.created_count,
        contact_import.updated_count,
        contact_import.skipped_count,
        contact_import.failed_count,
    )


def test_skip_leaves_matching_contacts_alone(org, owner, existing):
    ada, _ = existing

    contact_import = _run(org, owner, DuplicatePolicy.SKIP)

    assert _counts(contact_import) == (1, 0, 3, 0)
    assert Contact.objects.count() == 3
    ada.refresh_from_db()
    assert (ada.last_name, ada.city) == ("Lovelace", "")
    new = Contact.objects.get(email="new@example.net")
    assert (new.last_name, new.city, new.phone) == ("Person", "", "")


def test_update_fills_the_matching_contact_and_adds_what_is_new(org, owner, existing):
    ada, charles = existing

    contact_import = _run(org, owner, DuplicatePolicy.UPDATE)

    assert _counts(contact_import) == (1, 3, 0, 0)
    assert Contact.objects.count() == 3
    ada.refresh_from_db()
    assert (ada.first_name, ada.last_name, ada.city, ada.source) == ("Ada", "King", "London", ContactSource.MANUAL)
    assert "king" in ada.search_text
    charles.refresh_from_db()
    # Empty cells never blank a field: only the first name was given.
    assert (charles.first_name, charles.last_name, charles.email) == ("Babbage", "Babbage", "charles@example.net")
    new = Contact.objects.get(email="new@example.net")
    assert (new.last_name, new.city, new.phone, new.phones) == (
        "Again",
        "Paris",
        "+13125550177",
        [{"value": "+13125550177", "label": ""}],
    )
    assert set(new.tags.values_list("name", flat=True)) == {"again", "Imported"}
    assert list(ada.tags.values_list("name", flat=True)) == ["Imported"]  # the existing tag, matched by name


def test_create_makes_a_new_contact_for_every_row(org, owner, existing):
    contact_import = _run(org, owner, DuplicatePolicy.CREATE)

    assert _counts(contact_import) == (4, 0, 0, 0)
    assert Contact.objects.filter(email="ada@example.net").count() == 2
    assert Contact.objects.filter(email="new@example.net").count() == 2


def test_a_deleted_contact_is_not_a_duplicate(org, owner, existing):
    ada, _ = existing
    Contact.objects.filter(pk=ada.pk).update(deleted_at=timezone.now())

    contact_import = _run(org, owner, DuplicatePolicy.SKIP, rows=ROWS[:2])

    assert _counts(contact_import) == (1, 0, 0, 0)
    assert Contact.objects.filter(email="ada@example.net", deleted_at__isnull=True).get().last_name == "King"


def test_another_organizations_contacts_are_not_duplicates(org, other_org, owner):
    ContactFactory(organization=other_org, email="ada@example.net")

    contact_import = _run(org, owner, DuplicatePolicy.SKIP, rows=ROWS[:2])

    assert _counts(contact_import) == (1, 0, 0, 0)
    assert Contact.objects.filter(organization=org, email="ada@example.net").exists()


def test_repeats_across_chunks_are_found_in_the_database(org, owner):
    rows = [["Email", "City"]] + [[f"p{n}@example.net", "A"] for n in range(5)] + [["p0@example.net", "B"]]
    contact_import = imports.contact_import_create(
        organization=org, actor=owner, upload=csv_upload(rows), duplicate_policy=DuplicatePolicy.UPDATE
    )
    contact_import.status = ImportStatus.PENDING
    contact_import.save()

    contact_import = imports.contact_import_run(import_id=contact_import.pk, chunk_rows=2)

    assert _counts(contact_import) == (5, 1, 0, 0)
    assert Contact.objects.get(email="p0@example.net").city == "B"


def test_one_query_finds_the_duplicates_of_a_whole_chunk(org, owner, django_assert_max_num_queries):
    for n in range(50):
        ContactFactory(organization=org, email=f"p{n}@example.net", phone="")
    rows = [["Email", "City"]] + [[f"p{n}@example.net", "Lyon"] for n in range(100)]
    contact_import = imports.contact_import_create(
        organization=org, actor=owner, upload=csv_upload(rows), duplicate_policy=DuplicatePolicy.UPDATE
    )
    contact_import.status = ImportStatus.PENDING
    contact_import.save()

    # Loading, marking running, the industry's fields, one chunk (no parallel workers, lock, duplicates,
    # insert, update, progress), completing and its activity entry.
    with django_assert_max_num_queries(14) as captured:
        contact_import = imports.contact_import_run(import_id=contact_import.pk)

    reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "crm_contact"."id"')]
    assert len(reads) == 1
    assert _counts(contact_import) == (50, 50, 0, 0)
    assert Contact.objects.filter(city="Lyon").count() == 100
