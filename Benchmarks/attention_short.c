// zoo's short-sequence attention kernel (`zoo_attend_short`, Sources/CVectorKernels/kernels_body.h)
// as MiniLM runs it: 32 sequences of 10-24 tokens (the benchmark captions' lengths) x 12 heads of
// 32, Q/K/V in packed rows of 1,152 floats. Prints microseconds per sequence and head (best of 7
// x 200 passes, one thread) and the largest difference from a double-precision reference.
//
//   clang -O3 -ISources/CVectorKernels/include Benchmarks/attention_short.c Sources/CVectorKernels/*.c \
//       -o /tmp/attention_short -lm
//   /tmp/attention_short          (ZOO_VECTOR_LANES=8 or 4 times the AVX2 or baseline copy)
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>
#include "zoo_vector_kernels.h"
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(void){
  int lens[32]; long total=0; srand(7);
  int dist[]={10,11,12,12,12,13,13,14,15,16,16,16,17,17,18,19,19,20,20,20,21,21,22,23,12,16,20,11,17,21,13,24};
  for(int i=0;i<32;i++){lens[i]=dist[i];total+=lens[i];}
  long D=384,S=1152,H=12,W=32;
  float*qkv=aligned_alloc(64,4*total*S), *out=aligned_alloc(64,4*total*D);
  for(long i=0;i<total*S;i++) qkv[i]=((float)rand()/(float)RAND_MAX-.5f)*4;
  float *scores=aligned_alloc(64,4*32*32*4), *keys=aligned_alloc(64,4*64*33*4);
  float scale=1.0f/sqrtf(32);
  double best=1e9;
  for(int rep=0;rep<7;rep++){ double t=now();
   for(int it=0;it<200;it++){ long row=0;
    for(int s=0;s<32;s++){ for(long h=0;h<H;h++){ long first=row*S+h*W;
       zoo_attend_short(qkv+first,qkv+first+D,qkv+first+2*D,S,lens[s],W,scale,scores,keys,out+row*D+h*W,D);}
     row+=lens[s];}}
   double e=(now()-t)/200/(32*12)*1e6; if(e<best)best=e;}
  // check against double reference
  double maxerr=0; long row=0;
  for(int s=0;s<32;s++){ int L=lens[s]; for(long h=0;h<H;h++) for(int i=0;i<L;i++){
     double sc[64],m=-1e30,sum=0; for(int j=0;j<L;j++){double d=0; for(int k=0;k<W;k++) d+=(double)qkv[(row+i)*S+h*W+k]*qkv[(row+j)*S+D+h*W+k]; sc[j]=d*scale; if(sc[j]>m)m=sc[j];}
     for(int j=0;j<L;j++){sc[j]=exp(sc[j]-m);sum+=sc[j];}
     for(int k=0;k<W;k++){double o=0; for(int j=0;j<L;j++) o+=sc[j]/sum*qkv[(row+j)*S+2*D+h*W+k]; double e=fabs(o-out[(row+i)*D+h*W+k]); if(e>maxerr)maxerr=e;}}
   row+=L;}
  printf("%.3f us per sequence-head, max err %.2e\n",best,maxerr);
}
