# GTA5 -> Cityscapes, DAFormer's strategies on SegFormer MiT-B5 (Hoyer et al. CVPR 2022, Table 5)
_base_ = ['./daformer_segformer_mit-b5_gta2cs_1xb2.py']
