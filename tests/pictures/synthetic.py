"""Generated collaboration networks of any size, shaped like a ledger's, for the picture and page tests.

``network(n, seed=...)`` returns a ``networkx.MultiDiGraph`` as
``projections.store.load_network`` gives it: organisations with English and
Korean names (long ones, and names that share their first words, as
"Cowlitz County Sheriff" and "Cowlitz County Sheriff Vancouver" do), sectors,
registration dates; ties of the three types with start dates over ten years,
some ended, and reciprocal support (A supports B and B supports A) so that a
pair carries ties both ways. The same *n* and *seed* give the same graph.

>>> g = network(30, seed=1)
>>> g.number_of_nodes(), g.number_of_edges() > 30, network(30, seed=1).edges(keys=True) == g.edges(keys=True)
(30, True, True)
"""

from __future__ import annotations

import random

import networkx as nx

SECTORS = ("government", "university", "research_institute", "firm", "funder", "intermediary", "programme")
PLACES = (
    "Cowlitz County",
    "Vancouver",
    "Pohang",
    "Gyeongbuk",
    "Daegu",
    "Ulsan",
    "Clark County",
    "Yeongil Bay",
    "Busan",
    "Port of Pohang",
    "North Gyeongsang",
    "Heunghae",
)
KINDS = {
    "government": ("City Council", "Sheriff", "Department of Economy", "Provincial Government", "Ministry Office"),
    "university": ("University", "Institute of Science and Technology", "College of Engineering", "Polytechnic"),
    "research_institute": ("Research Institute", "Materials Laboratory", "Battery Research Center"),
    "firm": ("Steel Co.", "Batteries Ltd.", "Logistics", "Hydrogen Systems", "Precision Machinery Co."),
    "funder": ("Development Bank", "Credit Guarantee Fund", "Venture Capital"),
    "intermediary": ("Technopark", "Chamber of Commerce and Industry", "Startup Centre", "Industry Association"),
    "programme": ("Regulation-Free Special Zone", "Smart City Programme", "R&D Special Zone", "Cluster Project"),
}
KO_PLACES = ("포항", "경북", "대구", "울산", "부산", "영일만", "흥해", "밴쿠버", "카울리츠")
KO_KINDS = ("시청", "대학교", "연구원", "테크노파크", "상공회의소", "규제자유특구", "전지", "철강", "진흥원", "센터")
TIE_TYPES = ("partnership", "agreement", "support")


def network(n: int, *, seed: int = 0, ledger: str = "synthetic", ties_per_org: int = 2) -> nx.MultiDiGraph:
    """A ledger-like network of *n* organisations (see the module docstring)."""
    rng = random.Random(seed)
    graph = nx.MultiDiGraph(ledger=ledger)
    keys = [f"org-{i:05d}" for i in range(n)]
    used: set[str] = set()
    for i, key in enumerate(keys):
        sector = SECTORS[rng.randrange(len(SECTORS))]
        name = f"{rng.choice(PLACES)} {rng.choice(KINDS[sector])}"
        if name in used or rng.random() < 0.15:  # a branch of another organisation: the same first words
            name = f"{name} {rng.choice(PLACES)}"
        if name in used:
            name = f"{name} {i}"
        used.add(name)
        since = None if rng.random() < 0.6 else f"{rng.randint(2015, 2022)}-{rng.randint(1, 12):02d}-01"
        graph.add_node(
            key,
            key=key,
            name=name,
            name_en=name,
            name_ko=f"{rng.choice(KO_PLACES)}{rng.choice(KO_KINDS)}{i}",
            sector=sector,
            registered=True,
            since_on=since,
            until_on=None,
        )
    if n < 2:
        return graph
    links = nx.powerlaw_cluster_graph(n, min(ties_per_org, n - 1), 0.1, seed=seed)
    for number, (a, b) in enumerate(sorted(links.edges())):
        u, v = keys[a], keys[b]
        tie_type = TIE_TYPES[rng.randrange(3)]
        start = f"{rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        end = None if rng.random() < 0.8 else f"{int(start[:4]) + 1}{start[4:]}"
        pairs = [(u, v), (v, u)] if tie_type == "support" and rng.random() < 0.3 else [(u, v)]
        for j, (s, t) in enumerate(pairs):
            aggregate = f"tie-{number:06d}-{j}"
            graph.add_edge(
                s,
                t,
                key=f"{aggregate}:0",
                aggregate_id=aggregate,
                tie_type=tie_type,
                kind=tie_type,
                title=f"{tie_type} {number}",
                start=start,
                start_on=start,
                end=end,
                end_on=end,
            )
    return graph
