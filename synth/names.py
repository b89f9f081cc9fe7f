"""Embedded UK name lists with relative frequencies, and the nickname and spelling variants people are recorded under.

No downloads at run time: the lists are small, hand-made approximations of the shape of ONS baby-name and
surname frequency tables (popular names by birth cohort; a long tail), with the mix of origins found in English
towns. Names with accents (Zoë, Chloé, Seán, Siobhán) are included deliberately: every one is representable in
Windows-1252, which partners' spreadsheet exports use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Origin groups: the household's naming tradition (not an ethnicity field; nothing downstream sees it).
BRITISH, SOUTH_ASIAN, BLACK, EAST_EUROPEAN, IRISH, SOUTH_EUROPEAN = range(6)
ORIGIN_NAMES = ("british", "south_asian", "black", "east_european", "irish", "south_european")
ORIGIN_SHARES = (0.78, 0.09, 0.045, 0.05, 0.02, 0.015)

# Birth cohorts for the British lists: names go in and out of fashion.
COHORT_OLDER, COHORT_MIDDLE, COHORT_YOUNG = range(3)
COHORT_BREAKS = (1965, 1995)  # born before 1965: older; 1965-1994: middle; 1995 on: young


def _parse(table: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """'Name:weight, Name:weight' -> names, weights. Kept as text so the lists read like frequency tables."""
    names: list[str] = []
    weights: list[float] = []
    for item in table.replace("\n", " ").split(","):
        item = item.strip()
        if not item:
            continue
        name, _, weight = item.rpartition(":")
        names.append(name.strip())
        weights.append(float(weight))
    return tuple(names), tuple(weights)


MALE_BRITISH = {
    COHORT_OLDER: _parse("""
        John:60, David:50, Michael:45, Peter:40, Robert:35, Paul:28, William:30, James:30, Brian:25, Alan:25,
        Richard:22, Anthony:22, Kenneth:20, Stephen:20, Christopher:16, George:18, Thomas:15, Keith:15, Colin:15,
        Roger:14, Ronald:14, Derek:12, Geoffrey:10, Graham:12, Raymond:12, Terence:12, Barry:12, Malcolm:10,
        Dennis:10, Trevor:10, Edward:10, Frank:8, Patrick:8, Charles:8, Kevin:8, Ian:12, Andrew:10, Philip:12,
        Martin:10, Gary:6, Francis:5, Harold:5, Norman:6, Leslie:5, Frederick:5, Henry:4, Arthur:5, Albert:4"""),
    COHORT_MIDDLE: _parse("""
        David:40, Paul:35, Mark:35, Andrew:35, Michael:35, Richard:30, Stephen:25, Christopher:35, James:30,
        Daniel:25, Matthew:25, Steven:18, Darren:15, Lee:15, Craig:12, Gary:15, Robert:20, Jason:12, Jonathan:12,
        Simon:15, Neil:12, Ian:12, Anthony:12, Thomas:15, Adam:15, Carl:10, Dean:10, Wayne:10, Scott:10, Kevin:12,
        Martin:10, Peter:10, John:20, Shaun:7, Sean:7, Ryan:10, Nicholas:12, Benjamin:8, Jamie:8, Ashley:6,
        Stuart:8, Gareth:6, Samuel:6, Joseph:7, William:8, Alexander:6, Edward:5, Liam:6, Kieran:4, Nathan:6"""),
    COHORT_YOUNG: _parse("""
        Oliver:30, Jack:30, Harry:28, George:25, Noah:22, Charlie:22, Jacob:20, Thomas:22, Oscar:15, William:20,
        James:22, Joshua:22, Leo:15, Alfie:18, Freddie:12, Archie:14, Henry:12, Ethan:16, Isaac:10, Alexander:12,
        Joseph:14, Samuel:16, Daniel:16, Lewis:14, Ryan:12, Dylan:12, Mason:12, Logan:10, Tyler:10, Liam:10,
        Max:10, Lucas:10, Theo:10, Arthur:8, Jake:10, Callum:10, Kai:8, Riley:8, Luke:12, Benjamin:12,
        Matthew:12, Connor:10, Nathan:10, Reece:6, Kieran:6, Jayden:6, Finley:8, Toby:8, Harrison:6, Louis:6,
        Zachary:6, Tommy:6, Bobby:6, Frederick:4, Edward:5, Michael:6, Christopher:5, Robert:4, Jamie:6"""),
}

FEMALE_BRITISH = {
    COHORT_OLDER: _parse("""
        Margaret:50, Patricia:35, Susan:35, Mary:40, Christine:30, Jean:30, Linda:28, Carol:25, Elizabeth:25,
        Barbara:25, Janet:25, Sandra:22, Pauline:18, Ann:20, Anne:18, Valerie:15, Brenda:15, Sheila:15,
        Jennifer:15, Dorothy:12, Joan:12, Maureen:15, Kathleen:12, Irene:10, Gillian:12, Diane:12, Jacqueline:12,
        Julie:10, Marion:8, Doreen:8, Wendy:10, Denise:8, Lesley:8, Shirley:10, Catherine:10, Frances:6,
        Rosemary:8, Helen:8, Deborah:6, Karen:6, Victoria:3, Josephine:4, Veronica:4"""),
    COHORT_MIDDLE: _parse("""
        Sarah:40, Claire:30, Emma:30, Nicola:30, Lisa:30, Helen:25, Rachel:25, Michelle:25, Joanne:22, Karen:22,
        Amanda:20, Julie:20, Louise:20, Kelly:18, Laura:18, Samantha:18, Rebecca:18, Victoria:15, Katherine:12,
        Catherine:12, Elizabeth:12, Jennifer:12, Jessica:10, Hannah:12, Natalie:12, Donna:12, Dawn:10, Tracey:12,
        Deborah:10, Stephanie:10, Gemma:12, Kerry:8, Zoë:4, Kimberley:8, Charlotte:12, Lucy:10, Amy:15,
        Leanne:8, Joanna:6, Alison:10, Angela:10, Caroline:10, Jane:10, Renée:2, Abigail:4, Alexandra:4"""),
    COHORT_YOUNG: _parse("""
        Olivia:30, Amelia:28, Isla:18, Ava:20, Emily:25, Sophia:12, Grace:18, Mia:18, Poppy:15, Ella:18, Lily:20,
        Jessica:18, Isabella:15, Freya:15, Evie:16, Chloe:18, Chloé:3, Sophie:20, Ruby:15, Daisy:12,
        Charlotte:18, Megan:15, Hannah:15, Holly:12, Ellie:16, Lucy:14, Amy:12, Millie:12, Phoebe:10,
        Scarlett:10, Matilda:8, Erin:10, Abigail:10, Katie:12, Lauren:14, Bethany:10, Courtney:8, Jade:8,
        Paige:8, Zoë:4, Zoe:8, Maisie:8, Eva:10, Layla:8, Rosie:10, Imogen:8, Florence:6, Elsie:6, Harriet:6,
        Alice:10, Willow:6, Rebecca:8, Samantha:5, Victoria:5, Elizabeth:5, Katherine:4"""),
}

MALE_OTHER = {
    SOUTH_ASIAN: _parse("""
        Mohammed:30, Muhammad:20, Mohammad:8, Ali:10, Ahmed:10, Hassan:8, Hussain:8, Ibrahim:8, Omar:8, Yusuf:8,
        Adam:8, Bilal:6, Imran:6, Amir:6, Zain:6, Arjun:6, Aarav:4, Rohan:4, Harpreet:3, Gurpreet:3, Sanjay:3,
        Rajesh:3, Vikram:3, Tariq:5, Asif:5, Faisal:4, Kamran:4, Shahid:4, Ayaan:5, Rayan:4"""),
    BLACK: _parse("""
        Michael:8, David:8, Daniel:8, Emmanuel:10, Samuel:8, Joshua:8, Kwame:5, Kofi:5, Chinedu:4, Oluwaseun:4,
        Tunde:4, Jerome:5, Tyrone:4, Marcus:6, Andre:6, Dwayne:4, Leon:6, Isaiah:6, Elijah:6, Jermaine:5,
        Nathaniel:6, Malachi:4, Abdi:4, Mohamed:6, Kingsley:4, Ebenezer:3"""),
    EAST_EUROPEAN: _parse("""
        Jakub:10, Mateusz:6, Piotr:8, Tomasz:8, Marcin:6, Kamil:6, Andrei:6, Ionut:5, Bogdan:5, Mihai:5,
        Alexandru:5, Florin:4, Krzysztof:5, Pawel:5, Dawid:5, Szymon:5, Lukas:4, Tomas:4, Marius:4, Adrian:5"""),
    IRISH: _parse("""
        Seán:10, Sean:8, Ciarán:6, Eoin:6, Pádraig:4, Oisín:4, Conor:8, Declan:6, Patrick:8, Liam:6, Cian:5,
        Darragh:4, Niall:5, Michael:6"""),
    SOUTH_EUROPEAN: _parse("""
        José:8, João:5, Luca:6, Marco:6, Giuseppe:4, Antonio:6, Francesco:5, Rafael:5, Andrés:4, Nicolás:3,
        Hugo:4, Mário:3"""),
}

FEMALE_OTHER = {
    SOUTH_ASIAN: _parse("""
        Fatima:12, Aisha:12, Maryam:10, Zainab:10, Amina:8, Hafsa:6, Sana:6, Ayesha:6, Nadia:6, Saima:5,
        Shabana:4, Nasreen:4, Priya:6, Anjali:4, Simran:5, Harpreet:3, Gurpreet:3, Noor:6, Khadija:6, Sofia:6,
        Hana:6, Inaya:4"""),
    BLACK: _parse("""
        Grace:6, Blessing:5, Precious:5, Chidinma:3, Abena:3, Adwoa:3, Chantelle:5, Shanice:5, Aaliyah:6, Tia:5,
        Kiara:5, Nia:5, Esther:6, Ruth:5, Faith:6, Joy:5, Amara:4, Zara:5, Hodan:3, Fartun:3, Deborah:4"""),
    EAST_EUROPEAN: _parse("""
        Zofia:6, Julia:8, Natalia:6, Anna:8, Maria:8, Kasia:4, Agnieszka:6, Magdalena:6, Joanna:6, Ioana:5,
        Andreea:5, Elena:6, Alina:5, Oliwia:5, Wiktoria:5, Karolina:5, Monika:5, Aleksandra:5, Ewa:4"""),
    IRISH: _parse("""
        Siobhán:8, Niamh:10, Aoife:8, Róisín:6, Sinéad:6, Orla:6, Caoimhe:4, Ciara:6, Saoirse:5, Áine:4,
        Mary:5, Bridget:3"""),
    SOUTH_EUROPEAN: _parse("""
        Sofía:6, Inês:5, Beatriz:4, Chiara:5, Giulia:6, Francesca:5, Lucía:4, María:5, Noémie:3, Anaïs:3,
        Léa:4, Martina:4"""),
}

SURNAMES = {
    BRITISH: _parse("""
        Smith:126, Jones:75, Williams:62, Taylor:56, Brown:50, Davies:47, Evans:40, Wilson:33, Thomas:32,
        Johnson:31, Roberts:30, Robinson:28, Thompson:28, Wright:27, Walker:27, White:26, Edwards:25, Hughes:25,
        Green:24, Hall:24, Lewis:23, Harris:23, Clarke:22, Jackson:21, Wood:21, Turner:20, Martin:20, Cooper:20,
        Hill:20, Ward:19, Morris:19, Moore:19, Clark:18, Lee:18, King:18, Baker:18, Harrison:17, Morgan:17,
        Allen:17, James:16, Scott:16, Phillips:16, Watson:16, Davis:15, Parker:15, Price:15, Bennett:15,
        Young:15, Griffiths:15, Mitchell:14, Kelly:14, Cook:14, Carter:14, Richardson:14, Bailey:14, Collins:14,
        Bell:13, Shaw:13, Murphy:13, Miller:13, Cox:13, Richards:13, Marshall:12, Anderson:12, Simpson:12,
        Ellis:12, Adams:12, Wilkinson:12, Foster:11, Chapman:11, Powell:11, Webb:11, Rogers:11, Gray:11,
        Mason:11, Hunt:10, Campbell:10, Matthews:10, Owen:10, Palmer:10, Holmes:10, Mills:10, Barnes:10,
        Knight:10, Lloyd:10, Butler:10, Russell:10, Barker:9, Fisher:9, Stevens:9, Jenkins:9, Murray:9,
        Dixon:9, Harvey:9, Graham:9, Pearson:9, Fletcher:8, Walsh:8, Gibson:8, Howard:8, Andrews:8, Stewart:8,
        Elliott:8, Reynolds:8, Saunders:8, Payne:8, Fox:8, Ford:8, Pearce:8, Day:7, Brooks:7, West:7,
        Lawrence:7, Cole:7, Atkinson:7, Bradley:7, Spencer:7, Dawson:7, Ball:7, Burton:7, O'Brien:7, Watts:7,
        Rose:7, Booth:7, Perry:7, Ryan:7, Grant:6, Wells:6, Armstrong:6, Francis:6, Rees:6, Hayes:6, Hart:6,
        Hudson:6, Newman:6, Barrett:6, Webster:6, Hunter:6, Gregory:6, Carr:6, Lowe:6, Page:6, Marsh:6,
        Riley:6, Dunn:6, Woods:6, Parsons:5, Berry:5, Stone:5, Reid:5, Holland:5, Hawkins:5, Harding:5,
        Porter:5, Robertson:5, Newton:5, Oliver:5, Reed:5, Kennedy:5, Williamson:5, Bird:5, Gardner:5, Dean:5,
        Lane:5, Cooke:5, Bates:5, Henderson:5, Parry:5, Burgess:5, Bishop:5, Walton:5, Burns:5, Nicholson:5,
        Shepherd:5, Ross:5, Cross:5, Long:5, Freeman:5, Warren:5, Nicholls:5, Hamilton:4, Byrne:4, Sutton:4,
        McDonald:4, Yates:4, Hodgson:4, Robson:4, Curtis:4, Hopkins:4, O'Connor:4, Harper:4, Coleman:4,
        Watkins:4, Moss:4, McCarthy:4, Chambers:4, O'Neill:4, Griffin:4, Sharp:4, Hardy:4, Wheeler:4, Potter:4,
        Osborne:4, Johnston:4, Gordon:4, Doyle:4, Wallace:4, George:4, Jordan:4, Hutchinson:4, Reeves:4,
        Ashworth:3, Whitehead:3, Brennan:3, Sheppard:3, Kirby:3, Lamb:3, Slater:3, Kaye:3, Bentley:3"""),
    SOUTH_ASIAN: _parse("""
        Khan:30, Ahmed:20, Ali:20, Hussain:20, Patel:30, Begum:10, Akhtar:8, Iqbal:8, Shah:10, Singh:15,
        Kaur:8, Mahmood:6, Rahman:8, Islam:6, Mistry:5, Sharma:6, Chowdhury:5, Miah:6, Uddin:5, Malik:6,
        Butt:5, Raja:4, Javed:4, Aziz:4, Qureshi:4, Siddiqui:3, Gill:6, Sandhu:4, Sidhu:3, Dhillon:3, Bains:3"""),
    BLACK: _parse("""
        Williams:8, Johnson:6, Brown:6, Okafor:4, Mensah:5, Adeyemi:4, Okoye:3, Osei:4, Owusu:4, Boateng:4,
        Asante:3, Campbell:6, Francis:5, Grant:5, Henry:5, Thomas:5, Mohamed:6, Abdi:5, Ali:4, Yusuf:4,
        Mohamud:4, Hassan:4, Clarke:5, Edwards:5, Robinson:5, Adebayo:4, Okonkwo:3, Nwosu:3"""),
    EAST_EUROPEAN: _parse("""
        Nowak:6, Kowalski:5, Wisniewski:4, Wojcik:4, Kaminski:4, Lewandowski:4, Zielinski:3, Popescu:5,
        Popa:4, Ionescu:4, Stan:3, Dumitru:4, Radu:3, Petrov:3, Horvath:3, Kazlauskas:3, Jankauskas:3,
        Balogh:2, Mazur:3, Krawczyk:3"""),
    IRISH: _parse("""
        Murphy:10, Kelly:9, O'Brien:8, O'Connor:7, O'Neill:6, Byrne:6, Ryan:6, Walsh:6, Doyle:5, McCarthy:5,
        Gallagher:5, Doherty:5, Kennedy:4, Lynch:4, Quinn:4, Brennan:4, O'Sullivan:5, Fitzgerald:4,
        McLaughlin:3, Ní Bhriain:1"""),
    SOUTH_EUROPEAN: _parse("""
        Silva:6, Santos:5, Ferreira:4, Pereira:4, Rossi:5, Russo:4, Esposito:3, García:4, Martínez:3,
        Rodríguez:3, López:3, Fernández:3, Gonçalves:3, Costa:4, Bianchi:3"""),
}

NICKNAMES: dict[str, tuple[str, ...]] = {
    # Names people give (or staff write) instead of the registered one, and common spelling variants.
    "Robert": ("Bob", "Rob", "Robbie", "Bobby"),
    "William": ("Bill", "Will", "Billy", "Liam"),
    "Richard": ("Rich", "Richie", "Dick"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Thomas": ("Tom", "Tommy"),
    "Michael": ("Mike", "Mick", "Micky"),
    "Anthony": ("Tony", "Ant"),
    "Christopher": ("Chris", "Kit"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt", "Matty"),
    "Joseph": ("Joe", "Joey"),
    "David": ("Dave",),
    "Stephen": ("Steve", "Steven"),
    "Steven": ("Steve", "Stephen"),
    "Jonathan": ("Jon", "Jonny"),
    "Benjamin": ("Ben", "Benny"),
    "Samuel": ("Sam", "Sammy"),
    "Alexander": ("Alex", "Xander"),
    "Nicholas": ("Nick", "Nicky"),
    "Andrew": ("Andy", "Drew"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Charles": ("Charlie", "Chas"),
    "Frederick": ("Fred", "Freddie"),
    "Henry": ("Harry", "Hal"),
    "Zachary": ("Zac", "Zach"),
    "Joshua": ("Josh",),
    "Jacob": ("Jake",),
    "Oliver": ("Ollie",),
    "Nathaniel": ("Nate", "Nathan"),
    "Kenneth": ("Ken", "Kenny"),
    "Terence": ("Terry",),
    "Ronald": ("Ron",),
    "Raymond": ("Ray",),
    "Leslie": ("Les",),
    "Patrick": ("Pat", "Paddy"),
    "Gareth": ("Gaz",),
    "Gary": ("Gaz",),
    "Lewis": ("Louis",),
    "Louis": ("Lewis",),
    "Callum": ("Calum",),
    "Sean": ("Shaun", "Shawn"),
    "Shaun": ("Sean",),
    "Seán": ("Sean", "Shaun"),
    "Mohammed": ("Muhammad", "Mohammad", "Mohamed"),
    "Muhammad": ("Mohammed", "Mohamed"),
    "Mohammad": ("Mohammed", "Muhammad"),
    "Mohamed": ("Mohammed",),
    "Elizabeth": ("Liz", "Beth", "Lizzie", "Betty"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Jennifer": ("Jen", "Jenny"),
    "Katherine": ("Kate", "Katie", "Kathy"),
    "Catherine": ("Cathy", "Kate"),
    "Rebecca": ("Becky", "Becca"),
    "Victoria": ("Vicky", "Tori"),
    "Samantha": ("Sam", "Sammie"),
    "Alexandra": ("Alex", "Lexi"),
    "Jessica": ("Jess", "Jessie"),
    "Abigail": ("Abbie", "Abby"),
    "Deborah": ("Debbie", "Debs"),
    "Susan": ("Sue", "Suzy"),
    "Patricia": ("Pat", "Trish"),
    "Kimberley": ("Kim",),
    "Christine": ("Chris", "Chrissie"),
    "Jacqueline": ("Jackie",),
    "Stephanie": ("Steph",),
    "Natalie": ("Nat",),
    "Charlotte": ("Lottie", "Charlie"),
    "Amelia": ("Millie",),
    "Isabella": ("Bella", "Izzy"),
    "Eleanor": ("Ellie",),
    "Gillian": ("Gill",),
    "Josephine": ("Jo",),
    "Joanne": ("Jo",),
    "Joanna": ("Jo",),
    "Nicola": ("Nicky",),
    "Pauline": ("Paula",),
    "Dorothy": ("Dot",),
    "Zoë": ("Zoe",),
    "Chloé": ("Chloe",),
    "Chloe": ("Chloé",),
    "Siobhán": ("Siobhan", "Shivon"),
    "Sofia": ("Sophia",),
    "Sophia": ("Sofia",),
    "Aaliyah": ("Aliyah",),
    "Aisha": ("Ayesha",),
    "Ayesha": ("Aisha",),
    "Agnieszka": ("Aga",),
    "Katarzyna": ("Kasia",),
    "Aleksandra": ("Ola",),
    "Krzysztof": ("Chris",),
    "Jakub": ("Kuba", "Jacob"),
    "Pawel": ("Paul",),
    "Piotr": ("Peter",),
    "Tomasz": ("Tom",),
    "Oluwaseun": ("Seun",),
    "Ebenezer": ("Ebi",),
    "Emmanuel": ("Manny",),
}

_ACCENTS = str.maketrans(
    "áàâäãåçéèêëíìîïñóòôöõúùûüýÁÀÂÄÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝ",
    "aaaaaaceeeeiiiinooooouuuuyAAAAAACEEEEIIIINOOOOOUUUUY",
)


def strip_accents(name: str) -> str:
    """What a system that stores only ASCII letters makes of a name."""
    return name.translate(_ACCENTS)


@dataclass(frozen=True)
class NameTable:
    """A frequency table ready for vectorised sampling."""

    names: np.ndarray  # object array of str
    probabilities: np.ndarray

    @classmethod
    def of(cls, parsed: tuple[tuple[str, ...], tuple[float, ...]]) -> NameTable:
        weights = np.asarray(parsed[1], dtype=float)
        return cls(np.array(parsed[0], dtype=object), weights / weights.sum())

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.names[rng.choice(self.names.size, size=n, p=self.probabilities)]


def forename_table(male: bool, origin: int, cohort: int) -> NameTable:
    """Forenames for a sex, naming tradition and (for British names) birth cohort."""
    if origin == BRITISH:
        return NameTable.of((MALE_BRITISH if male else FEMALE_BRITISH)[cohort])
    return NameTable.of((MALE_OTHER if male else FEMALE_OTHER)[origin])


def surname_table(origin: int) -> NameTable:
    return NameTable.of(SURNAMES[origin])


def cohort_of(birth_years: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(COHORT_BREAKS), birth_years, side="right")
