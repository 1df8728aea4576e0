"""The follow-up queue's completion rate and median response time as measures of the catalogue (issue
15, part 4): registered by casework, built by ``indicators.measures.build_panel``, checked against a
computation by hand."""

import datetime as dt

import numpy as np
import pytest

from hotspot.areas.models import Area, AreaKind
from hotspot.casework import inputs
from hotspot.casework.models import DANISH_TIME, FollowUpItem, SourceKind
from hotspot.incidents.models import CrimeReport, Offence
from hotspot.indicators import measures
from hotspot.indices import inputs as index_inputs
from hotspot.programmes.models import Programme

UTC = dt.UTC
D = dt.date


@pytest.fixture
def queue(demo_municipality):
    """Two rodes with queue items of reports from 2007 (before the demo city's data) and one from the
    first hour of 2008 in Danish time; see the hand computation in the tests."""
    rode_a, rode_b = Area.objects.filter(
        municipality=demo_municipality, kind=AreaKind.RODE
    ).order_by("code")[:2]
    assert not FollowUpItem.objects.filter(
        crime_report__area__in=[rode_a, rode_b],
        crime_report__occurred_at__lt=dt.datetime(2009, 1, 1, tzinfo=UTC),
    ).exists()
    programme = Programme.objects.create(
        municipality=demo_municipality, name="Målt kø", start=D(2007, 1, 1), end=D(2008, 12, 31)
    )
    robbery = Offence.objects.get(code="ROEV")
    made = []

    def item(area, *, deadline, responded=None, created=None, occurred=None):
        report = CrimeReport.objects.create(
            municipality=demo_municipality,
            external_id=f"MÅL-{len(made)}",
            occurred_at=occurred or dt.datetime(2007, 2, 20, 12, tzinfo=UTC),
            offence=robbery,
            area=area,
        )
        obj = FollowUpItem.objects.create(
            programme=programme,
            source=SourceKind.POLICE_REPORT,
            crime_report=report,
            deadline=deadline,
            responded_on=responded,
            response="ok" if responded else "",
        )
        created = created or dt.datetime(2007, 3, 1, 10, tzinfo=UTC)
        FollowUpItem.objects.filter(pk=obj.pk).update(created_at=created)
        made.append(obj)

    # rode A, 2007 (opened 1 March unless said):
    item(rode_a, deadline=D(2007, 3, 8), responded=D(2007, 3, 5))  # on time, 4 days
    item(rode_a, deadline=D(2007, 3, 8), responded=D(2007, 3, 10))  # late, 9 days
    item(rode_a, deadline=D(2007, 3, 8))  # unanswered and past its deadline: decided, not on time
    item(rode_a, deadline=D(2099, 1, 1))  # open, not due yet: neither
    # entered the queue 23:30 UTC on 28 February, which is 1 March in Denmark: 2 days, on time
    item(
        rode_a,
        deadline=D(2007, 3, 8),
        responded=D(2007, 3, 3),
        created=dt.datetime(2007, 2, 28, 23, 30, tzinfo=UTC),
    )
    item(rode_a, deadline=D(2007, 3, 8), responded=D(2007, 3, 8))  # on the deadline: on time, 7
    # rode B, 2007: one item, 3 days, on time
    item(rode_b, deadline=D(2007, 3, 8), responded=D(2007, 3, 4))
    # rode A: 23:30 UTC on 31 December 2007 is 2008 in Denmark; answered in 1 day
    item(
        rode_a,
        deadline=D(2008, 1, 8),
        responded=D(2008, 1, 2),
        created=dt.datetime(2008, 1, 1, 9, tzinfo=UTC),
        occurred=dt.datetime(2007, 12, 31, 23, 30, tzinfo=UTC),
    )
    # a notification has no place: in no area's measure
    FollowUpItem.objects.create(
        programme=programme,
        source=SourceKind.NOTIFICATION,
        sent_on=D(2007, 3, 1),
        sent_by_agency="Skole",
        deadline=D(2007, 3, 2),
    )
    return rode_a, rode_b


def test_the_two_measures_are_in_the_catalogue_but_in_no_index(db):
    catalogue = measures.catalogue(with_registers=False)
    assert {inputs.COMPLETION, inputs.MEDIAN_DAYS} <= set(catalogue)
    assert catalogue[inputs.COMPLETION].unit == "%"
    assert catalogue[inputs.COMPLETION].direction == "good"
    assert catalogue[inputs.MEDIAN_DAYS].direction == "bad"
    assert not catalogue[inputs.COMPLETION].in_index
    assert inputs.COMPLETION not in index_inputs.catalogue()
    with pytest.raises(ValueError, match="built-in"):
        measures.register_measure(catalogue["reports_total"], inputs.completion)


def test_completion_and_median_days_against_a_hand_computation(queue, demo_municipality):
    rode_a, rode_b = queue
    panel = measures.build_panel(
        {"A": [rode_a.pk], "B": [rode_b.pk], "A+B": [rode_a.pk, rode_b.pk]},
        [2007, 2008, 2009],
        [inputs.COMPLETION, inputs.MEDIAN_DAYS],
        municipality_id=demo_municipality.pk,
    )
    c, m = panel.index(inputs.COMPLETION), panel.index(inputs.MEDIAN_DAYS)
    # by hand: A 2007 decided 5 (on time: 4 days, 2 days, on the day), late 1, unanswered 1
    expected_completion = np.array(
        [[3 / 5, 1.0, np.nan], [1.0, np.nan, np.nan], [4 / 6, 1.0, np.nan]]
    )
    np.testing.assert_allclose(panel.values[:, :, c], 100 * expected_completion, rtol=1e-12)
    np.testing.assert_array_equal(panel.denominators[:, :, c], [[5, 1, 0], [1, 0, 0], [6, 1, 0]])
    np.testing.assert_array_equal(panel.counts[:, :, c], [[3, 1, 0], [1, 0, 0], [4, 1, 0]])
    # medians: A 2007 of 4, 9, 2, 7 = 5.5; B of 3; A+B of 4, 9, 2, 7, 3 = 4 (pooled, not 4.25)
    np.testing.assert_allclose(
        panel.values[:, :, m],
        [[5.5, 1.0, np.nan], [3.0, np.nan, np.nan], [4.0, 1.0, np.nan]],
        rtol=1e-12,
    )
    np.testing.assert_array_equal(panel.counts[:, :, m], [[4, 1, 0], [1, 0, 0], [5, 1, 0]])
    # small cells: 1–4 decided items (completion) or answers (median)
    np.testing.assert_array_equal(
        panel.small[:, :, c], [[False, True, False], [True, False, False], [False, True, False]]
    )
    np.testing.assert_array_equal(
        panel.small[:, :, m], [[True, True, False], [True, False, False], [False, True, False]]
    )
    # the years with queue data of the municipality are known; 2009 (no items here) only if others
    known_2009 = FollowUpItem.objects.filter(
        programme__municipality=demo_municipality,
        crime_report__occurred_at__year=2009,
    ).exists()
    assert panel.known[:, c].tolist() == [True, True, known_2009]


def test_a_report_removed_by_a_roll_back_leaves_the_measure(queue, demo_municipality):
    rode_a, _rode_b = queue
    first = FollowUpItem.objects.filter(crime_report__external_id="MÅL-0").get()
    CrimeReport.objects.filter(pk=first.crime_report_id).delete()  # as imports.actions.undo does
    panel = measures.build_panel(
        {"A": [rode_a.pk]},
        [2007],
        [inputs.COMPLETION, inputs.MEDIAN_DAYS],
        municipality_id=demo_municipality.pk,
    )
    assert panel.values[0, 0, 0] == pytest.approx(100 * 2 / 4)
    assert panel.values[0, 0, 1] == pytest.approx(7.0)  # median of 9, 2, 7


def test_the_occurred_year_is_danish(queue):
    """Written apart from the builder: the last item's report is 2008 on a Danish calendar."""
    item = FollowUpItem.objects.get(crime_report__external_id="MÅL-7")
    assert item.crime_report.occurred_at.astimezone(DANISH_TIME).year == 2008


def test_a_programme_goal_reads_the_follow_up_completion(queue, demo_municipality, monkeypatch):
    """A goal measured by the queue's completion reads it through the measures layer (2008: the one
    item of rode A that year, answered on time, is a small cell, so the scorecard hides it)."""
    from hotspot.programmes import inputs as programme_inputs
    from hotspot.programmes.models import Goal, Measure

    rode_a, _rode_b = queue
    programme = Programme.objects.get(name="Målt kø")
    programme.areas.add(rode_a)
    monkeypatch.setattr(programme_inputs, "_measure_years", lambda municipality_id: [2007, 2008])
    goal = Goal.objects.create(
        programme=programme,
        title="Anmeldelser fulgt op i tide",
        kind="activity",
        measure=Measure.FOLLOWUP_COMPLETION,
        area=rode_a,
        baseline_value=0,
        baseline_date=D(2007, 1, 1),
        target_value=90,
        deadline=D(2008, 12, 31),
        unit="%",
    )
    assert Measure.FOLLOWUP_COMPLETION in programme_inputs.GOAL_MEASURES
    assert programme_inputs.goal_series(goal) == [(D(2007, 12, 31), 60.0)]
