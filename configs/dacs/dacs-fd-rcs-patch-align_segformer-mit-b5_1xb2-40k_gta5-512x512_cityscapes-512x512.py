# GTA5 -> Cityscapes, DAFormer's strategies + patch alignment (not in either paper)
_base_ = ['./daformer_segformer_mit-b5_patch_gta2cs_1xb2.py']
