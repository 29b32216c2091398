# DACS + patch-level alignment (Tsai et al., ICCV 2019) on SegFormer MiT-B5:
# ./dacs_segformer_mit-b5_gta2cs_1xb2.py with the patch alignment of
# configs/patch_align/gta2cs_1xb1.py (K = 50, λd 0.01, λadv 0.0005, 32 px patches) and its modes
# file. No published figure. Not trained here.
_base_ = ['./dacs_segformer_mit-b5_gta2cs_1xb2.py', '../_base_/adaptations/tsai2019.py']
model = dict(adaptations=dict(patch={{_base_.patch_gta}}))
