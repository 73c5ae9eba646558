"""Word search and similar-idea lookup match inflected forms, through the engine's analysis."""

from __future__ import annotations

from models.db import Database
from services.ideas import list_ideas
from services.similar_ideas import suggestions_for
from tests.slack_driver import SlackDriver, response_json, text_of

BIKES = "Pitäisi korjata asukkaiden pyöriä ilmaiseksi kirjaston pihalla"
UNRELATED = (
    "Uimahallin aukioloajat pidemmiksi",
    "Kirjastoon lisää lukupiirejä",
    "Puistoon penkkejä ja roska-astioita",
    "Koululaisille kesätöitä kaupungilta",
    "Senioreille liikuntaryhmiä",
    "Torille kesäkahvila",
    "Bussivuoroja iltaisin",
)


def test_ideas_search_finds_an_inflected_finnish_form(driver: SlackDriver) -> None:
    driver.command("/idea", BIKES)
    driver.command("/idea", "Kirjastoon lisää lukupiirejä", user="U002")
    found = text_of(response_json(driver.command("/ideas", "pyörä")))
    assert "asukkaiden pyöriä" in found and "lukupiirejä" not in found
    # Every word must still occur, in some form.
    both = text_of(response_json(driver.command("/ideas", "pyörien kirjasto")))
    assert "asukkaiden pyöriä" in both and "lukupiirejä" not in both


def test_search_service_matches_forms_in_swedish_and_english(
    driver: SlackDriver, database: Database
) -> None:
    driver.command("/idea", "Fler cykelvägar till biblioteken", user="U003")
    driver.command("/idea", "Repair cafés in the cities", user="U004")
    driver.command("/idea", "Something else entirely", user="U005")
    with database.session() as session:
        swedish = list_ideas(session, "T0LOCAL", "biblioteket")
        english = list_ideas(session, "T0LOCAL", "city")
    assert [idea.body for idea in swedish.ideas] == ["Fler cykelvägar till biblioteken"]
    assert [idea.body for idea in english.ideas] == ["Repair cafés in the cities"]


def test_similar_idea_lookup_meets_inflected_forms(driver: SlackDriver, database: Database) -> None:
    driver.command("/idea", BIKES)
    # A pool of unrelated ideas, as a workspace has: with two or three texts, every shared
    # word is rare and weights say little.
    for number, other in enumerate(UNRELATED):
        driver.command("/idea", other, user=f"U1{number:02d}")
    driver.command("/idea", "Pyörän korjaus asukkaille", user="U007")
    with database.session() as session:
        newest = max(idea.id for idea in list_ideas(session, "T0LOCAL", "").ideas)
        found = [s.idea.body for s in suggestions_for(session, newest)]
    assert found and found[0] == BIKES
