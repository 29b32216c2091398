# GTA5 -> Cityscapes, DAFormer's strategies + MIC + patch alignment on SegFormer MiT-B5 (not a paper recipe)
_base_ = ['./daformer_mic_segformer_mit-b5_patch_gta2cs_1xb2.py']
