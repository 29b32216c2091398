# The adaptation configs' SegFormer MiT-B5: UDASegmentor around the plain MMSeg model of
# ./plain/segformer_mit-b5.py.
_base_ = ['./plain/segformer_mit-b5.py']
model = dict(_delete_=True, type='UDASegmentor', warmup_iters=0, segmentor={{_base_.model}})
