"""Turn a UDASegmentor checkpoint into a plain MMSeg segmentor checkpoint."""
from typing import Dict

from mmengine.runner.checkpoint import _load_checkpoint

#: Prefix of the wrapped segmentor's weights inside a UDASegmentor state dict.
SEGMENTOR_PREFIX = 'generator.segmentor.'


def export_segmentor(path: str) -> Dict[str, object]:
    """The plain segmentor's checkpoint dict from a UDASegmentor checkpoint file.

    Args:
        path (str): A checkpoint saved by training a ``UDASegmentor``.

    Returns:
        dict: ``state_dict`` with the segmentor's weights (keys as MMSeg's ``EncoderDecoder``
        names them) and ``meta`` (the source checkpoint's meta, if any).

    Raises:
        KeyError: If the file holds no ``UDASegmentor`` weights.
    """
    ckpt = _load_checkpoint(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt)
    plain = {k[len(SEGMENTOR_PREFIX):]: v for k, v in state.items()
             if k.startswith(SEGMENTOR_PREFIX)}
    if not plain:
        raise KeyError(f'{path} holds no UDASegmentor weights (no key starts with '
                       f'{SEGMENTOR_PREFIX!r}); is it already a plain checkpoint?')
    return dict(state_dict=plain, meta=ckpt.get('meta', {}))
