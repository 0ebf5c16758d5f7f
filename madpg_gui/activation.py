"""Why a version was or was not made active, said in the user's language.

The core keeps its decision as a kind and numbers (``version_scores.Decision.as_metrics``) beside
an English sentence; the sentence is built here from those, so the Chinese interface does not show
the core's English. A version trained before the kinds were kept shows its stored sentence.
"""

from __future__ import annotations

from madpg_gui.i18n import tr


def activation_text(activation: dict | None) -> str:
    a = activation or {}
    kind, new, old = a.get("kind"), a.get("new", ""), a.get("old", "")
    pct = lambda x: f"{100 * float(x):.1f}"  # noqa: E731 - F1 as the user reads it
    if kind == "asked":
        return tr("{new} activated, as asked (no comparison)").format(new=new)
    if kind == "asked-never":
        return tr("{new} not activated, as asked; {old} stays active").format(new=new, old=old)
    if kind == "first":
        return tr("{new} activated: there was no active model").format(new=new)
    if kind == "no-check":
        return tr("{new} not activated: no check records yet (review more records); you can activate it by "
                  "hand").format(new=new)
    try:
        nums = tr("{a} vs {b} for {old} on {n} check records").format(
            a=pct(a["new_f1"]), b=pct(a["old_f1"]), old=old, n=int(a["n"]))
        if kind == "too-few":
            return tr("{new} not activated: {n} check records are too few to compare it with {old} (review more "
                      "records; you can activate it by hand)").format(new=new, n=int(a["n"]), old=old)
        p, needed = f"{100 * float(a['p']):.0f}", f"{100 * float(a['needed']):.0f}"
        if kind == "not-better":
            return tr("{new} kept inactive: {nums}").format(new=new, nums=nums)
        if kind == "noise":
            return tr("{new} kept inactive: {nums} is within noise (better in {p} % of resamples, {needed} % "
                      "needed)").format(new=new, nums=nums, p=p, needed=needed)
        if kind == "better":
            return tr("{new} activated: {nums} (better in {p} % of resamples)").format(new=new, nums=nums, p=p)
    except (KeyError, TypeError, ValueError):
        pass  # numbers missing or damaged: the stored sentence below
    return str(a.get("reason") or "")
