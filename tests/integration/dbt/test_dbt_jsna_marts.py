"""The shared schema and the JSNA marts on the hand-countable scenario (see lake_scenario.py), built once by the
`built` fixture with `dbt build` (every data and unit test passing is part of the fixture).

Each assertion is a number a reader of the mart would see, worked out by hand from the scenario:

- people: person-0..9 are police nominals living in LSOA A (IMD decile 2, the violence hotspot) and ED patients;
  person-10..18 are ED patients only; all 19 attended the ED for an assault with a sharp object in January 2026;
- police: victims person-0..7 (A00..A07) and person-9 (C-feb), suspect person-8 (A08), an unlinked suspect on A01;
- events happen at 22:30 (police) and 01:30 (ISTV).
"""

from __future__ import annotations

from tests.integration.dbt.dbt_runner import DbtHome, query
from tests.integration.dbt.lake_scenario import LA, LSOA_A, WARD_CENTRAL


def test_every_mart_is_built(built: DbtHome) -> None:
    marts = {
        name
        for (name,) in query(
            built.warehouse, "select table_name from information_schema.tables where table_schema = 'marts'"
        )
    }
    assert marts == {
        "mart_violence_by_area_month",
        "mart_violence_by_area_year",
        "mart_violence_by_area_age_sex_month",
        "mart_ed_assaults_known_to_police_by_month",
        "mart_ed_police_gap_summary",
        "mart_factor_prevalence_by_area_age_sex",
        "mart_agency_cohort_overlap",
        "mart_violence_pathways_prior_factors",
        "mart_violence_hotspots_by_time_of_week",
        "mart_data_quality_by_partner_period",
        "mart_feed_status",
    }


# --- conformed people and factors -------------------------------------------------------------------------------


def test_dim_person_has_one_row_per_linked_person_with_the_agencies_that_know_them(built: DbtHome) -> None:
    assert query(
        built.warehouse,
        "select agencies_known_to, count(*) from conformed.dim_person group by 1 order by 1",
    ) == [("health", 9), ("health;police", 10)]


def test_person_factors_by_factor(built: DbtHome) -> None:
    # R02 victims: 9 seen by police and ED, 10 (incl. suspect person-8) by the ED only. R01: suspect person-8.
    # R03: every ED assault was a sharp-object injury. R15 and R17: the police addresses in LSOA A (IMD decile 2,
    # the only hotspot: 20 events per 1,500 residents).
    assert query(
        built.warehouse,
        """
        select factor_code, source_agencies, count(*)
        from conformed.fct_person_factor
        where observation_period = '2025-26'
        group by 1, 2 order by 1, 2
        """,
    ) == [
        ("R01", "police", 1),
        ("R02", "health", 10),
        ("R02", "health;police", 9),
        ("R03", "health", 19),
        ("R15", "police", 10),
        ("R17", "police", 10),
    ]


def test_dim_date_uses_financial_years(built: DbtHome) -> None:
    assert query(
        built.warehouse,
        """
        select cast(date_day as varchar), observation_period, day_name, iso_day_of_week
        from conformed.dim_date where date_day in ('2026-03-31', '2026-04-01') order by 1
        """,
    ) == [("2026-03-31", "2025-26", "Tuesday", 2), ("2026-04-01", "2026-27", "Wednesday", 3)]


# --- marts ------------------------------------------------------------------------------------------------------


def test_victim_rates_by_age_band_and_sex(built: DbtHome) -> None:
    # January, ward Central (LSOAs A and B): 8 police victims, men aged 18-24 (published 10), among 93 + 75 = 168
    # residents of that age and sex; ISTV: 8 + 1 attendances by men aged 18-24, also 10.
    assert query(
        built.warehouse,
        """
        select source_agency, victim_count_display, resident_population, victim_rate_per_1000
        from marts.mart_violence_by_area_age_sex_month
        where geography_level = 'ward' and area_code = ? and period = '2026-01' and age_band = '18-24' and sex = 'M'
        order by 1
        """,
        [WARD_CENTRAL],
    ) == [("ed_istv", "10", 168, 59.5), ("police", "10", 168, 59.5)]
    # Nobody of another age band or of the other sex was affected: every such cell is a true zero.
    assert query(
        built.warehouse,
        """
        select distinct victim_count_display from marts.mart_violence_by_area_age_sex_month
        where age_band not in ('18-24', 'all') or sex = 'F'
        """,
    ) == [("0",)]


def test_area_ranking_by_year(built: DbtHome) -> None:
    # 2025-26 police: LSOA A 12 events (10), B 3 (*, not ranked), C 1 (*); the local authority 16 (15).
    assert query(
        built.warehouse,
        """
        select area_code, violence_count_display, violence_rate_per_1000, rate_rank, coverage_months
        from marts.mart_violence_by_area_year
        where observation_period = '2025-26' and source_agency = 'police' and geography_level in ('lsoa', 'local_authority')
        order by rate_rank nulls last, area_code
        """,
    ) == [
        (LSOA_A, "10", 6.7, 1, 2),
        (LA, "15", 4.1, 1, 2),
        ("E01000002", "*", None, None, 2),
        ("E01000003", "*", None, None, 2),
    ]


def test_gap_summary_matches_the_monthly_gap(built: DbtHome) -> None:
    assert query(
        built.warehouse,
        """
        select breakdown, group_value, ed_assault_attendances_display, known_to_police_display,
               not_known_to_police_display, awaiting_linkage_display, pct_not_known_to_police, match_window_days
        from marts.mart_ed_police_gap_summary where group_value in ('all', '18-24', 'F', 'M') order by group_order, 1
        """,
    ) == [
        ("all", "all", "20", "10", "10", "*", 50.0, 30),
        ("sex", "F", "20", "10", "10", "*", 50.0, 30),
        ("sex", "M", "0", "0", "0", "0", None, 30),
        ("age_band", "18-24", "20", "10", "10", "*", 50.0, 30),
    ]


def test_factor_prevalence_compares_people_affected_with_the_population(built: DbtHome) -> None:
    # Whole area, all ages and sexes: 19 people affected (20); R02 all of them (20: 100%); R15 10 of them (10, 50%),
    # and 10 people with R15 among 3,700 residents (0.27%): 50 / 0.27 = 185.
    rows = query(
        built.warehouse,
        """
        select factor_code, affected_people_display, affected_with_factor_display, pct_affected_with_factor,
               people_with_factor_display, pct_population_with_factor, prevalence_ratio
        from marts.mart_factor_prevalence_by_area_age_sex
        where geography_level = 'vru' and age_band = 'all' and sex = 'all' and factor_code in ('R02', 'R15', 'R11')
        order by factor_code
        """,
    )
    assert rows == [
        ("R02", "20", "20", 100.0, "20", 0.54, 185.0),
        ("R11", "20", "0", 0.0, "0", 0.0, None),
        ("R15", "20", "10", 50.0, "10", 0.27, 185.0),
    ]


def test_agency_overlap_counts_exact_combinations(built: DbtHome) -> None:
    assert query(
        built.warehouse,
        """
        select cohort, agency_combination, people_display, pct_of_cohort
        from marts.mart_agency_cohort_overlap
        where geography_level = 'vru' and people_display <> '0'
        order by cohort, agency_combination
        """,
    ) == [
        ("affected_by_violence", "health", "10", 50.0),
        ("affected_by_violence", "police + health", "10", 50.0),
        ("all_known_people", "health", "10", 50.0),
        ("all_known_people", "police + health", "10", 50.0),
    ]


def test_pathways_say_no_look_back_is_complete_yet(built: DbtHome) -> None:
    # The lake starts in January 2026: nobody's first violence has a year of history before it.
    assert query(
        built.warehouse,
        """
        select people_with_first_event_display, people_with_complete_lookback_display, lookback_days
        from marts.mart_violence_pathways_prior_factors
        where cohort = 'all' and age_band = 'all' and factor_code = 'R02'
        """,
    ) == [("20", "0", 365)]


def test_hotspots_put_events_in_their_day_and_time_band(built: DbtHome) -> None:
    # Police events happen at 22:30 and ISTV assaults at 01:30: every other time band is a true zero.
    assert query(
        built.warehouse,
        """
        select source_agency, time_band, max(area_period_violence_count_display)
        from marts.mart_violence_hotspots_by_time_of_week
        where geography_level = 'vru' and violence_count_display <> '0'
        group by 1, 2 order by 1
        """,
    ) == [("ed_istv", "00:00-02:59", "10"), ("police", "21:00-23:59", "20")]


def test_data_quality_summary_per_partner_and_period(built: DbtHome) -> None:
    rows = query(
        built.warehouse,
        """
        select partner, feed, period, delivery_status, rows_read_display, mean_completeness_pct,
               lowest_completeness_field, typical_lag_days, reconciliation_status
        from marts.mart_data_quality_by_partner_period
        where (feed = 'police_occurrences' and period = '2026-01')
           or (feed = 'probation_caseload' and period = '2026-01')
           or (feed = 'education_census' and period = '2026-01')
           or feed = 'unrecognised'
        order by feed, period
        """,
    )
    assert rows == [
        ("education", "education_census", "2026-01", "not delivered", "0", None, None, None, None),
        # 20 rows in the January file (12 + 3 + 3 violent, 2 criminal damage); quality from ops/quality.
        (
            "police",
            "police_occurrences",
            "2026-01",
            "loaded",
            "20",
            90.0,
            "location_lsoa",
            20.0,
            "reconciled",
        ),
        # The second January snapshot replaced the first: only its 3 rows count (suppressed).
        ("probation", "probation_caseload", "2026-01", "loaded", "*", None, None, None, "reconciled"),
        ("education", "unrecognised", "2026-02", "quarantined", "0", None, None, None, None),
    ]


def test_feed_status_says_what_is_missing(built: DbtHome) -> None:
    assert query(
        built.warehouse,
        "select feed, feed_status, last_period, lag_months from marts.mart_feed_status order by feed",
    ) == [
        ("ed_assaults", "current", "2026-01", 1),
        ("ed_attendances", "current", "2026-01", 1),
        ("education_census", "missing", None, None),
        ("education_exclusions", "missing", None, None),
        ("police_nominals", "current", "2026-01", 1),
        ("police_occurrences", "current", "2026-02", 0),
        ("probation_caseload", "current", "2026-02", 0),
    ]
