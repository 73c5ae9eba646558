"""A small fictional workspace for ``collider console --demo``.

Twelve people from different kinds of organisations, and ideas and needs they wrote in Finnish,
Swedish and English. Every name, organisation and text here was written for the demo; none comes
from real participants. Seeding goes through the domain services, like any other input, and is
idempotent: each idea is submitted under a fixed request key, so a second run finds it handled.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.local.slack import TEAM_ID, LocalSlack
from models import IdeaKind
from models.db import Database
from models.queries import find_participant
from services import ideas, participants


@dataclass(frozen=True)
class DemoPerson:
    user_id: str
    name: str
    real_name: str
    organisation: str
    organisation_type: str
    language: str

    @property
    def slack_user(self) -> participants.SlackUser:
        return participants.SlackUser(team_id=TEAM_ID, user_id=self.user_id, name=self.name)


@dataclass(frozen=True)
class DemoIdea:
    key: str
    author: str
    kind: IdeaKind
    body: str
    title: str | None = None
    theme: str | None = None


PEOPLE = (
    DemoPerson("U0AINO", "aino", "Aino Mäkinen", "Kivikylän asukasyhdistys", "resident", "fi"),
    DemoPerson("U0MATTI", "matti", "Matti Korhonen", "Korhosen Pyörähuolto Oy", "company", "fi"),
    DemoPerson("U0LINNEA", "linnea", "Linnéa Holm", "Svenska skolan i Strandby", "education", "sv"),
    DemoPerson("U0JOHAN", "johan", "Johan Lindqvist", "Fritidstjänster, staden", "city", "sv"),
    DemoPerson("U0SANNA", "sanna", "Sanna Nieminen", "Kaupungin ympäristöpalvelut", "city", "fi"),
    DemoPerson("U0PRIYA", "priya", "Priya Raman", "Northlight Urban Lab", "research", "en"),
    DemoPerson("U0OLLI", "olli", "Olli Heikkinen", "Ammattiopisto Kaari", "education", "fi"),
    DemoPerson("U0EMMA", "emma", "Emma Berg", "Café Bönan", "company", "sv"),
    DemoPerson("U0DAVID", "david", "David Okoro", "Open Streets Collective", "other", "en"),
    DemoPerson("U0LEENA", "leena", "Leena Salo", "Senioriyhdistys Hopea ry", "other", "fi"),
    DemoPerson("U0TOMAS", "tomas", "Tomás García", "Circular Works Ltd", "company", "en"),
    DemoPerson(
        "U0HELMI", "helmi", "Helmi Lahtinen", "Kaupunkitutkimuksen yksikkö", "research", "fi"
    ),
)

# The demo's city staff run matchmaking: `as sanna`, then `/collider match`.
FACILITATORS = ("U0SANNA", "U0JOHAN")

IDEAS = (
    DemoIdea(
        "tool-library",
        "U0AINO",
        IdeaKind.IDEA,
        "Taloyhtiöiden yhteinen työkalulainaamo: porakoneet, tikkaat ja painepesuri "
        "lainattavaksi kerhohuoneesta. Varaukset verkossa, avaimet naapurilta.",
        title="Korttelin työkalulainaamo",
        theme="Kiertotalous",
    ),
    DemoIdea(
        "yard-greening",
        "U0LINNEA",
        IdeaKind.IDEA,
        "Vi vill göra om asfaltsgården till en grön skolgård med odlingslådor, buskar och "
        "en regnträdgård. Eleverna planerar själva, föräldrar hjälper till på talko.",
        title="Grön skolgård",
        theme="Klimat",
    ),
    DemoIdea(
        "e-cargo-bikes",
        "U0MATTI",
        IdeaKind.IDEA,
        "Yhteiskäyttöiset sähkötavarapyörät asuinalueille. Huollamme pyörät ja voisimme "
        "pitää kolme pyörää lainassa kokeilukesän ajan, jos joku hoitaa varauskalenterin.",
        title="Sähkötavarapyörät yhteiskäyttöön",
        theme="Liikkuminen",
    ),
    DemoIdea(
        "swedish-club",
        "U0JOHAN",
        IdeaKind.IDEA,
        "En eftermiddagsklubb på svenska för lågstadiebarn i stadsdelar där det inte finns "
        "svensk skola. Pyssel, lek och läxhjälp två dagar i veckan.",
        title="Eftermiddagsklubb på svenska",
        theme="Barn och unga",
    ),
    DemoIdea(
        "digital-help",
        "U0LEENA",
        IdeaKind.NEED,
        "Moni jäsenemme tarvitsee apua mobiilipankin, Kanta-palvelujen ja videopuhelujen "
        "kanssa. Etsimme vapaaehtoisia tai opiskelijoita pitämään digitupaa kerran viikossa.",
        title="Digiapua ikäihmisille",
        theme="Hyvinvointi",
    ),
    DemoIdea(
        "sensor-data",
        "U0PRIYA",
        IdeaKind.IDEA,
        "We run low-cost air-quality sensors and could place twenty more near schools. "
        "Looking for schools that want to use the live data in science lessons.",
        title="Air-quality sensors for schools",
        theme="Climate",
    ),
    DemoIdea(
        "student-repairs",
        "U0OLLI",
        IdeaKind.IDEA,
        "Opiskelijamme voisivat korjata asukkaiden pyöriä ja pieniä kodinkoneita osana "
        "näyttöjä. Tarvitsemme tilan ja yhteistyökumppanin varaosiin.",
        title="Opiskelijoiden korjauspaja",
        theme="Kiertotalous",
    ),
    DemoIdea(
        "cafe-leftovers",
        "U0EMMA",
        IdeaKind.NEED,
        "Vi har bröd och bakverk över varje kväll. Vi behöver någon som hämtar och delar ut "
        "dem, till exempel en förening eller ett boende i närheten.",
        title="Vem tar hand om dagens överblivna bröd?",
        theme="Matsvinn",
    ),
    DemoIdea(
        "play-streets",
        "U0DAVID",
        IdeaKind.IDEA,
        "Close one residential street to cars on Sunday afternoons in summer and let kids "
        "play there. We have done it elsewhere and can bring the barriers and the know-how.",
        title="Sunday play streets",
        theme="Living together",
    ),
    DemoIdea(
        "reuse-materials",
        "U0TOMAS",
        IdeaKind.IDEA,
        "We collect surplus building materials from renovation sites. Schools, clubs and "
        "residents could pick them up for free for their own projects.",
        title="Free surplus building materials",
        theme="Circular economy",
    ),
    DemoIdea(
        "meeting-spaces",
        "U0AINO",
        IdeaKind.NEED,
        "Asukasyhdistys tarvitsee iltaisin maksuttoman kokoontumistilan 20 hengelle. "
        "Koulujen ja kirjastojen tilat voisivat olla käytössä, kun ne muuten ovat tyhjinä.",
        title="Iltakäyttöön tiloja yhdistyksille",
        theme="Yhteisöllisyys",
    ),
    DemoIdea(
        "urban-meadows",
        "U0SANNA",
        IdeaKind.IDEA,
        "Muutetaan osa puistojen nurmikoista niityiksi: vähemmän niittoa, enemmän pölyttäjiä. "
        "Haemme kouluja ja asukkaita kylvötalkoisiin ja seurantaan.",
        title="Kaupunkiniityt pölyttäjille",
        theme="Luonto",
    ),
    DemoIdea(
        "youth-jobs",
        "U0JOHAN",
        IdeaKind.NEED,
        "Vi söker företag som kan erbjuda sommarjobb på två veckor för 15–17-åringar, "
        "gärna på svenska. Staden betalar en del av lönen.",
        title="Sommarjobb för unga",
        theme="Barn och unga",
    ),
    DemoIdea(
        "walkability-study",
        "U0HELMI",
        IdeaKind.NEED,
        "Tutkimme, miten iäkkäät liikkuvat talvella. Tarvitsemme 30 vapaaehtoista, jotka "
        "kantavat askelmittaria kaksi viikkoa, ja yhdistyksen, joka auttaa rekrytoinnissa.",
        title="Talvikävelytutkimukseen osallistujia",
        theme="Hyvinvointi",
    ),
    DemoIdea(
        "language-cafe",
        "U0EMMA",
        IdeaKind.IDEA,
        "Språkcafé på torsdagar: finska, svenska och engelska vid olika bord. Kaffet bjuder "
        "vi på, vi behöver bara värdar som leder samtalen.",
        title="Språkcafé tre språk",
        theme="Språk",
    ),
    DemoIdea(
        "open-data-hack",
        "U0PRIYA",
        IdeaKind.IDEA,
        "A weekend hackathon on the city's open mobility data, with students from the "
        "vocational school and the university working in mixed teams.",
        title="Open mobility data weekend",
        theme="Mobility",
    ),
    DemoIdea(
        "bike-parking",
        "U0MATTI",
        IdeaKind.NEED,
        "Asiakkaamme valittavat, ettei keskustassa ole katettuja pyöräparkkeja. Etsimme "
        "kaupungilta ja kiinteistöiltä paikkoja kokeilulle.",
        title="Katettuja pyöräparkkeja keskustaan",
        theme="Liikkuminen",
    ),
    DemoIdea(
        "mentors",
        "U0OLLI",
        IdeaKind.NEED,
        "Looking for company mentors for our first-year students in logistics and ICT: "
        "one visit a month, in Finnish or English.",
        title="Company mentors for vocational students",
        theme="Education",
    ),
    DemoIdea(
        "grandparents",
        "U0LEENA",
        IdeaKind.IDEA,
        "Varamummo- ja -vaaritoiminta: eläkeläiset lukevat päiväkodeissa ja auttavat "
        "retkillä. Meillä on jo kymmenen innokasta.",
        title="Lainamummot ja -vaarit päiväkoteihin",
        theme="Yhteisöllisyys",
    ),
    DemoIdea(
        "repair-cafe-sv",
        "U0LINNEA",
        IdeaKind.NEED,
        "Våra elever i årskurs 8 vill ordna ett reparationscafé men behöver vuxna som kan "
        "laga kläder, cyklar och elektronik en lördag i maj.",
        title="Vuxna till elevernas reparationscafé",
        theme="Cirkulär ekonomi",
    ),
)


@dataclass(frozen=True)
class SeedResult:
    people_added: int
    ideas_added: int


def register_people(slack: LocalSlack) -> None:
    """Make the demo people known to the local Slack (names for mentions, ``users.info``)."""
    for person in PEOPLE:
        slack.add_user(
            person.user_id, person.name, real_name=person.real_name, locale=_locale(person)
        )


def _locale(person: DemoPerson) -> str:
    return {"fi": "fi-FI", "sv": "sv-SE"}.get(person.language, "en-GB")


def seed(database: Database) -> SeedResult:
    """Add the demo people and their ideas unless they are there already."""
    people_added = ideas_added = 0
    with database.session() as session:
        for person in PEOPLE:
            # A profile someone changed in an earlier session stays as they left it.
            if find_participant(session, TEAM_ID, person.user_id) is not None:
                continue
            participants.update_profile(
                session,
                person.slack_user,
                participants.ProfileUpdate(
                    organisation=person.organisation,
                    organisation_type=person.organisation_type,
                    language=person.language,
                ),
            )
            people_added += 1
        authors = {person.user_id: person for person in PEOPLE}
        for item in IDEAS:
            submission = ideas.submit_idea(
                session,
                authors[item.author].slack_user,
                ideas.IdeaInput(kind=item.kind, body=item.body, title=item.title, theme=item.theme),
                request_key=f"demo:{item.key}",
            )
            ideas_added += not submission.duplicate
    return SeedResult(people_added=people_added, ideas_added=ideas_added)
