"""Stop words of Finnish, Swedish and English, lower case; function words of a few others.

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

# Function words of languages that Finnish residents also write in. They tell such a text apart
# from fi/sv/en (and are dropped from it). Words shared with fi/sv/en (``ja``, ``on``, ``in``)
# count for both sides; detection needs more evidence for the other language than for ours.
_OTHER_RAW: dict[str, str] = {
    "de": """
        und der die das den dem in an im am so was man nicht ist ein eine einen einer eines zu mit sich auf für von auch es
        wir werden wird sind oder aber wenn bei noch nach wie kann können mehr sehr haben hat
        zum zur durch über unsere unser unseren sollte sollten gibt diese dieser dieses dass
        aus nur schon immer viele ich sie ihr ihre uns wo dort hier man wäre würde wurden
        gegen ohne zwischen weil damit dann also jedoch sowie bitte gerne könnte müssen
        """,
    "et": """
        ja on ei ning et see ka kui mis oli aga siis nii või seda kes kõik veel nagu selle kus meie nad
        tema mida pole peab saab väga ole oleks olid olema ma sa ta me te nemad mina sina
        selleks sest kuid juba ainult rohkem kõige mitte ilma pärast enne koos vaid palju
        """,
    "so": """
        iyo waa oo ka ku ee ah waxaa ayaa uu ay la lagu laga kale waxa aan ma wax si sida ama
        haddii inay inuu kuwa badan leh waxay ayuu ayay aad ugu loo hadda sidoo kaloo
        """,
    "ru": """
        не на что по для это как из же то мы бы все от так его но они она он или уже чтобы
        есть был быть только их при ещё еще вы был была были может нужно очень также
        """,
    "uk": """
        що та не на по для це як із від але ми ви вони він вона щоб або вже бути також є
        його їх при ще може потрібно дуже які який яка
        """,
    "ar": "في من على إلى أن عن مع هذا هذه التي الذي كان لا ما أو هو هي نحن كل بين",
}
OTHER_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    language: frozenset(words.split()) for language, words in _OTHER_RAW.items()
}
OTHER_STOP_WORDS: frozenset[str] = frozenset().union(*OTHER_FUNCTION_WORDS.values())


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
