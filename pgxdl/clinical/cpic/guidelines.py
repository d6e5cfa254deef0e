"""CPIC guideline text for one drug and one person's pharmacogene calls.

For the drugs in pypgx's recommendation table (antidepressants, TCAs, codeine, ...), the
text is pypgx's ``get_recommendation`` for the person's phenotypes. Warfarin's CPIC
guideline (Johnson et al., Clin Pharmacol Ther 2017;102:397-404) is an algorithm rather
than a phenotype table, so pypgx has no row for it; :data:`WARFARIN` summarises it.
"""

from __future__ import annotations

from pgxdl.clinical.cpic.phenotypes import GeneCall, recommendation
from pgxdl.clinical.tables_cache import cpic_table

WARFARIN = (
    "CPIC warfarin guideline (2017): calculate the starting dose with a validated "
    "pharmacogenetic algorithm (IWPC or Gage) using VKORC1 c.-1639G>A and CYP2C9 *2/*3. "
    "In people of African ancestry, CYP2C9 *5, *6, *8 and *11 also lower the dose: reduce "
    "the calculated dose by 15-30% in their carriers, and by 10-25% in carriers of "
    "rs12777823 A; if those were not tested, dose clinically. CYP4F2 *3 carriers may need "
    "5-10% more. Adjust by INR.")
WARFARIN_SOURCE = "https://cpicpgx.org/guidelines/guideline-for-warfarin-and-cyp2c9-and-vkorc1/"
#: Genes each supported drug's guideline reads.
DRUG_GENES = {"warfarin": ("CYP2C9", "VKORC1")}


def guideline(drug: str, calls: dict[str, GeneCall]) -> dict:
    """``{"drug", "text", "source", "genes"}`` for ``drug`` (``text`` says when there is no
    CPIC recommendation for the person's calls)."""
    name = drug.lower()
    table = cpic_table()
    rows = table[table["Drug"] == name]
    source = next((str(u) for u in rows["Guideline"] if str(u).startswith("http")), "")
    genes = DRUG_GENES.get(name) or tuple(rows["Gene"][rows["CPICLevel"] == "A"])
    if name == "warfarin":
        return {"drug": name, "text": WARFARIN, "source": WARFARIN_SOURCE,
                "genes": list(genes)}
    text = recommendation(name, calls)
    if text is None:
        text = (f"No CPIC recommendation for {drug} with these calls "
                f"({', '.join(f'{g}: {c.phenotype}' for g, c in calls.items()) or 'none'}).")
    return {"drug": name, "text": text, "source": source, "genes": list(genes)}
