# Calibration: where are the eyes in FER2013 crops? YuNet (onnxruntime) on public-test faces placed in a larger
# canvas (upscaled 3x, padded), landmarks mapped back to 48x48 coordinates.
import numpy as np, onnxruntime as ort
from PIL import Image
imgs=np.fromfile('../shared/datasets/fer2013/public-test-images.u8',dtype=np.uint8).reshape(-1,48,48)
sess=ort.InferenceSession('../shared/weights/yunet/yunet_n_dynamic.onnx',providers=['CPUExecutionProvider'])
S=4; pad=32; side=48*S+2*pad; side=((side+31)//32)*32
res=[]
for k in range(0,len(imgs),7):
    im=Image.fromarray(imgs[k]).resize((48*S,48*S),Image.BILINEAR)
    can=np.zeros((side,side),np.float32); can[pad:pad+48*S,pad:pad+48*S]=np.asarray(im,np.float32)
    x=np.repeat(can[None,None],3,1)
    outs=dict(zip([o.name for o in sess.get_outputs()],sess.run(None,{'input':x})))
    best=None
    for s in (8,16,32):
        cls=outs[f'cls_{s}'][0,:,0]; obj=outs[f'obj_{s}'][0,:,0]
        sc=np.sqrt(np.clip(cls,0,1)*np.clip(obj,0,1)); i=int(sc.argmax())
        if best is None or sc[i]>best[0]:
            cols=side//s; r,c=divmod(i,cols); kp=outs[f'kps_{s}'][0,i]
            lm=[((c+kp[2*j])*s, (r+kp[2*j+1])*s) for j in range(5)]
            best=(sc[i],lm)
    if best[0]<0.6: continue
    lm=[((x-pad)/S,(y-pad)/S) for x,y in best[1]]
    res.append(lm)
a=np.array(res)  # [n,5,2]
re,le,no=a[:,0],a[:,1],a[:,2]
mid=(re+le)/2; d=np.linalg.norm(le-re,axis=1)
print('n',len(a),'of',len(range(0,len(imgs),7)))
print('eye mid x,y median', np.median(mid,0), 'iod median', np.median(d), 'iod/48', np.median(d)/48)
print('mouth mid y', np.median((a[:,3,1]+a[:,4,1])/2), 'nose', np.median(no,0))
print('eye angle deg median abs', np.median(np.abs(np.degrees(np.arctan2(le[:,1]-re[:,1], le[:,0]-re[:,0])))))
