"""No CPR number or name in a log line or an error page (issue 15, part 7): every casework form that
takes a CPR number gets one, with invalid data and with an action forced to fail, and neither spelling
of the number (with and without the dash) nor the name is in any log record, in the page, or in the
error report Django would mail to the site's admins (``mail_admins``: the request and each frame's
variables)."""

import logging

import pytest
from django.urls import reverse
from django.views.debug import ExceptionReporter
from django.views.decorators.debug import sensitive_variables

from hotspot.casework import actions, pseudonym
from hotspot.casework.models import CaseworkSettings
from hotspot.programmes.models import Programme

CPR = "010203-4321"
DIGITS = "0102034321"
BAD_CPR = "320203-4321"  # day 32: refused by the form, and must not be shown back either
NAME = "Testperson Hemmeligsen"
SECRETS = [CPR, DIGITS, BAD_CPR, BAD_CPR.replace("-", ""), NAME]


@pytest.fixture
def programme(demo_municipality):
    CaseworkSettings.objects.update_or_create(
        municipality=demo_municipality, defaults={"store_names": True}
    )
    return Programme.objects.filter(municipality=demo_municipality).order_by("pk").first()


def _forms(programme, member):
    """(user, url, invalid posts, the functions to force to fail one at a time, a valid post) of each
    form with a CPR field. The new case's name is encrypted inside ``actions.create_case``: failing
    there puts the action's own variables (the CPR number, the name) in the report."""
    coordinator, dpo = member("coordinator"), member("dpo")
    case_url = reverse("casework:case_new", args=[programme.pk])
    valid_case = {
        "cpr": CPR,
        "name": NAME,
        "alias": "Ung L",
        "kind": "youth",
        "legal_basis": "rpl_115",
    }
    return [
        (
            coordinator,
            case_url,
            [
                {"cpr": CPR, "name": NAME, "alias": "", "kind": "youth", "legal_basis": ""},
                {**valid_case, "cpr": DIGITS, "legal_basis": "consent"},  # consent without a date
                {**valid_case, "cpr": BAD_CPR},
            ],
            [(actions, "create_case"), (pseudonym, "encrypt_name")],
            valid_case,
        ),
        (
            coordinator,
            reverse("casework:search"),
            [{"cpr": BAD_CPR, "alias": ""}, {"cpr": CPR, "alias": "x" * 61}],
            [(actions, "audit_search")],
            {"cpr": CPR, "alias": ""},
        ),
        (
            dpo,
            reverse("casework:subject_extract"),
            [{"cpr": BAD_CPR}, {"cpr": BAD_CPR.replace("-", "")}],
            [(actions, "audit_extract")],
            {"cpr": DIGITS},
        ),
    ]


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def _log_text(records) -> str:
    """Every record as a handler would write it: the message, the traceback and the extra fields."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    return "\n".join(handler.format(r) + " " + repr(vars(r)) for r in records)


def test_invalid_posts_show_and_log_no_cpr_or_name(client, programme, member, caplog):
    caplog.set_level(logging.DEBUG)
    for user, url, posts, _action, _valid in _forms(programme, member):
        client.force_login(user)
        for data in posts:
            response = client.post(url, data)
            assert response.status_code == 200, (url, data)
            assert b"error" in response.content  # the form did refuse it
            assert not _leaks(response.content.decode()), (url, data)
    assert not _leaks(_log_text(caplog.records))


def test_a_failing_action_shows_logs_and_reports_no_cpr_or_name(
    client, programme, member, caplog, monkeypatch
):
    @sensitive_variables()  # the stand-in holds the arguments it was given; the test is of the rest
    def boom(*args, **kwargs):
        raise RuntimeError("the database went away")

    client.raise_request_exception = False
    failures = [
        (user, url, target, name, valid)
        for user, url, _posts, targets, valid in _forms(programme, member)
        for target, name in targets
    ]
    for user, url, target, name, valid in failures:
        caplog.clear()
        caplog.set_level(logging.DEBUG)
        monkeypatch.setattr(target, name, boom)
        client.force_login(user)
        response = client.post(url, valid)
        assert response.status_code == 500, url
        assert not _leaks(response.content.decode()), url
        errors = [r for r in caplog.records if r.exc_info]
        assert errors, f"{url}: the failure was not logged"
        assert not _leaks(_log_text(caplog.records)), url
        monkeypatch.undo()
        # what mail_admins would send: the request (POST filtered) and every frame's variables
        for record in errors:
            reporter = ExceptionReporter(getattr(record, "request", None), *record.exc_info)
            reporter.is_email = True
            assert not _leaks(reporter.get_traceback_text()), (url, name)
            assert not _leaks(reporter.get_traceback_html()), (url, name)
