from .uda_segmentor import UDAGenerator, UDASegmentor, unwrap

__all__ = ['UDAGenerator', 'UDASegmentor', 'unwrap']
