from .uda_segmentor import DiscriminatorBank, UDAGenerator, UDASegmentor, unwrap

__all__ = ['DiscriminatorBank', 'UDAGenerator', 'UDASegmentor', 'unwrap']
