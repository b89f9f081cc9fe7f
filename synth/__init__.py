"""Synthetic data for vrlake: a fictional VRU area whose residents' lives cross police, probation, education and
the emergency department, written as each partner's own files, with the linkage truth kept apart.

    from synth import SynthConfig, generate
    result = generate(SynthConfig(people=20_000, seed=42), Path("out"), Path("truth/truth.csv"))

Nothing generated here is real personal data; postcodes, ONS codes and identifiers are fictional but valid in
format (NHS numbers, UPNs and PNC IDs carry correct check characters).
"""

from synth.config import NoiseConfig, PrevalenceConfig, SynthConfig
from synth.generate import SynthResult, generate

__all__ = ["NoiseConfig", "PrevalenceConfig", "SynthConfig", "SynthResult", "generate"]
