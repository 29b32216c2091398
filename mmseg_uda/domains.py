"""The two domains of unsupervised domain adaptation, and how log keys write them.

Everywhere in mmseg_uda a domain is one of the strings of :data:`DOMAINS`: ``'source'``, the
labelled domain, or ``'target'``, the unlabelled one the segmentor is adapted to. It is the
``domain`` argument of ``UDAGenerator.domain_forward``, of an adaptation's ``forward``,
``adversarial_losses`` and ``discriminator_losses``, and of
:func:`~mmseg_uda.models.losses.adversarial_loss` (where it names the domain label the
discriminator's logits are scored against).

Log keys write a domain in its short form, :data:`LOG_PREFIXES`.
"""
from typing import Dict, Tuple

#: The domains, in the order a train step visits them.
DOMAINS: Tuple[str, ...] = ('source', 'target')

#: Short form of each domain in log keys: the prefix of its generator losses (``src.loss``,
#: ``src.decode.loss_ce``, ``tgt.ca.loss_cmil``), the second part of the discriminator's losses
#: on it (``disc.src.<adaptation>.loss_d``) and the suffix of an adversarial loss the generator
#: takes on either domain (``adv.ga.loss_confusion_src``, ``adv.ps.loss_adv_tgt``).
LOG_PREFIXES: Dict[str, str] = {'source': 'src', 'target': 'tgt'}


def check_domain(domain: str) -> str:
    """``domain`` itself, if it is one of :data:`DOMAINS`.

    Raises:
        ValueError: Naming the value, otherwise (e.g. ``'src'``, or a bool).
    """
    if not isinstance(domain, str) or domain not in DOMAINS:
        raise ValueError(f'domain must be one of {DOMAINS}, got {domain!r}')
    return domain
