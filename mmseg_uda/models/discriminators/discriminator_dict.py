"""Discriminators by key, called together on a dict of representations."""
from typing import Dict

import torch
from mmengine.model import ModuleDict

Tensors = Dict[str, torch.Tensor]


class DiscriminatorDict(ModuleDict):
    """Discriminators by key; ``forward`` applies each to the input of the same key.

    One container serves both levels of the UDA segmentor's discriminators: an adaptation's
    discriminators by representation key (e.g. ``logits`` and ``aux_logits`` of multi-level
    output-space adaptation, AdaptSegNet), and the UDA segmentor's by adaptation name, whose
    inputs are the adaptations' representation dicts. Its state-dict keys are
    ``<key>.<discriminator's keys>``, as those of an ``nn.ModuleDict``.

    It is an mmengine ``ModuleDict``, so ``init_weights`` reaches the discriminators' own
    ``init_cfg``.
    """

    def forward(self, inputs: Dict[str, object]) -> Dict[str, object]:
        """Each discriminator's output on the input of its key (other inputs are ignored).

        Raises:
            KeyError: Naming the missing keys when ``inputs`` lacks one of the discriminators'.
        """
        missing = [key for key in self if key not in inputs]
        if missing:
            raise KeyError(f'DiscriminatorDict got no input for {missing}; inputs have '
                           f'{sorted(inputs)}')
        return {key: self[key](inputs[key]) for key in self}
