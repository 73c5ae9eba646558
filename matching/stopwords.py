"""Stop words of Finnish, Swedish and English, lower case.

Hand-picked function words (pronouns, auxiliaries, conjunctions, particles, the commonest adverbs)
rather than a frequency list, so a topic word that is frequent in one pool is never dropped.
Inflected Finnish pronoun forms are listed because they survive lemmatization-free pipelines.
"""

from __future__ import annotations

FINNISH = frozenset(
    """
    ja tai sekä eli että kun jos vaikka koska kuin mutta vaan vai joten jotta niin myös vielä jo
    nyt sitten siis kuitenkin aina usein ehkä paljon vähän hyvin erittäin todella kovin melko aivan
    ei en et emme ette eivät älä olla on ovat oli olivat olen olet olemme olette ollut olleet olisi
    olisivat ole olla voi voida voisi voisivat voidaan pitää pitäisi tulee tulisi täytyy saa saisi
    minä sinä hän me te he se ne tämä tuo nämä nuo joka jotka mikä mitkä kuka ketkä jokin jotkin
    joku jonkin jota joita jossa joissa josta joista johon joihin jolla joilla jolle joille jolta
    sen sitä siitä siihen siinä sillä sille siltä niiden niitä niistä niihin niissä niillä näiden
    näitä näistä näihin näissä näillä tämän tätä tästä tähän tässä tällä tälle tältä tuon tuota
    minun minua minulle minulla sinun sinua hänen häntä hänelle meidän meitä meille meillä teidän
    heidän heitä heille heillä itse oma oman omaa omat omia kaikki kaikkia kaikille kaikkien
    muu muut muiden muita mitä miten miksi missä mistä mihin milloin kuinka mm esim yms jne noin
    kanssa ilman myötä mukaan kautta luona lähellä vuoksi takia avulla osalta yli alle ennen jälkeen
    aikana välillä sisällä ulkona sekä kuten esimerkiksi eri uusi uusia uuden uutta lisää enemmän
    """.split()
)

SWEDISH = frozenset(
    """
    och eller men att som om när då så för till från med utan av på i är var vara varit blir bli
    blev har hade haft ha kan kunde ska skulle vill ville måste får fick inte ej icke också även
    redan nu sedan bara mycket lite mer mest många flera alla allt andra annan annat egen eget egna
    jag du han hon den det vi ni de dem denna detta dessa min mitt mina din ditt dina hans hennes
    dess vår vårt våra er ert era deras sig sin sitt sina man en ett någon något några ingen inget
    inga vilken vilket vilka vad vem var hur varför där här dit hit efter före under över mellan
    genom mot hos vid enligt kring om utan samt bland t.ex. dvs osv ut upp in ner fram bort än ju
    väl nog dock alltså också sådan sådant sådana vilken ny nya nytt
    """.split()
)

ENGLISH = frozenset(
    """
    a an the and or but if then so as because than that this these those there here it its they
    them their theirs he him his she her hers we us our ours you your yours i me my mine who whom
    whose which what when where why how all any both each few more most other some such no nor not
    only own same too very can could will would shall should may might must do does did done doing
    be is are was were been being have has had having of at by for with about against between into
    through during before after above below to from up down in out on off over under again further
    once also just still even new many much
    """.split()
)

STOP_WORDS: dict[str, frozenset[str]] = {"fi": FINNISH, "sv": SWEDISH, "en": ENGLISH}


# Words that carry no topic of their own: fine for similarity, but no use as a reason shown to
# people ("you share: need, week"). Only explanations leave them out.
GENERIC_TERMS = frozenset(
    """
    tarvitaan tarvitsemme tarvitsee tarvitsen tarvitsevat tarve tarpeen haluamme haluaisimme
    haluan voisi voisimme voidaan tehdä tehdään muutetaan muuttaa saada saadaan ehdotus
    ehdotan idea ideana viikossa viikko viikon päivä päivän vuosi vuoden enemmän uusi uusia
    behöver behövs behov vill skulle kunna göra görs dag dagens vecka veckan år delar dela
    förslag ny nya mer
    need needs needed want wants would could should make made new more week weeks day days
    year idea ideas suggestion
    """.split()
)
