# GTA5 -> Cityscapes, DACS + patch alignment on SegFormer MiT-B5 (not in either paper)
_base_ = ['./dacs_patch_segformer_mit-b5_gta2cs_1xb2.py']
