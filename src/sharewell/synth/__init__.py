"""A synthetic partnership for a fictional English county, with ground truth kept apart.

``generate(SynthConfig(...))`` builds it in memory (pure, deterministic for a seed);
``write_partnership(partnership, out_dir)`` writes the layout of docs/extracts.md.
"""

from sharewell.synth.config import DEFAULT_QUALITY, PartnerQuality, SynthConfig
from sharewell.synth.partnership import Extract, Partnership, generate
from sharewell.synth.writer import Manifest, ManifestExtract, synthesise, write_partnership

__all__ = [
    "DEFAULT_QUALITY",
    "Extract",
    "Manifest",
    "ManifestExtract",
    "PartnerQuality",
    "Partnership",
    "SynthConfig",
    "generate",
    "synthesise",
    "write_partnership",
]
