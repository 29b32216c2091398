# DACS on MMSeg's SegFormer MiT-B5, GTA5 -> Cityscapes, one GPU, batch 2 (source) + 2 (target),
# 512x512 crops, 40k iterations, with DAFormer's optimisation (AdamW 6e-5, heads 10x, linear
# warm-up, ../_base_/schedules/daformer_adamw_40k.py):
#   python tools/train.py configs/dacs/dacs_segformer_mit-b5_gta2cs_1xb2.py
# Target: DAFormer (Hoyer et al., CVPR 2022) Table 5, its first row (DACS on SegFormer MiT-B5
# without DAFormer's other strategies: experiments.py id 5, `('segformer', 'mitb5', 'dacs',
# math.inf, False)`); the figure is in the paper's table, not quoted here. The DACS values of
# ../_base_/adaptations/tranheden2021.py; the differences of ./gta2cs_deeplabv2_r101_1xb2.py
# that concern DACS (ClassMix classes per image, one backward). Not trained here.
_base_ = [
    '../_base_/models/segformer_mit-b5.py',
    '../_base_/datasets/gta_to_cityscapes_512x512.py',
    '../_base_/schedules/daformer_adamw_40k.py',
    '../_base_/default_runtime.py',
    '../_base_/adaptations/tranheden2021.py',
]
train_dataloader = dict(batch_size=2)
model = dict(
    # batches padded to the crop size, as MMSeg's SegFormer configs do
    segmentor=dict(data_preprocessor=dict(size={{_base_.crop_size}})),
    adaptations=dict(dacs={{_base_.dacs}}),
)
