// The linear layers of six MiniLM encoder layers with their data flow, as one thread of
// `zoo bench encode all-MiniLM-L6-v2 --batch 64 --threads 2` runs them (about 525 packed tokens
// per thread), on two threads at once, with zoo's kernel (Sources/CVectorKernels). Between the
// GEMMs, cheap stand-ins for attention and LayerNorm keep the values bounded; the "GEMM" figure
// counts only the time inside zoo_packed_linear; each shape's rate (Q/K/V, attention output,
// fc1 with GELU, fc2) is printed after it. Random weights, six distinct layers (42 MB),
// so weights arrive from L3 as in the model.
//
//   clang -O3 -ISources/CVectorKernels/include Benchmarks/model_gemms.c Sources/CVectorKernels/*.c \
//       -o /tmp/model_gemms -lm -lpthread
//   /tmp/model_gemms [rows per thread, default 525] [feed-forward chunk rows, default as zoo: 176 of 525]
//
// fc1 and fc2 run in row chunks as zoo runs them (TransformerEncoderLayer.feedForwardChunks);
// a chunk of all rows (the second argument equal to the first) gives the unchunked data flow.
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>
#include <pthread.h>
#include "zoo_vector_kernels.h"
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static float *W[6][4]; static float *B[6][4]; static long M=525; static long R=0; static int iters=60;
static float* mk(long n,float s){float*p=aligned_alloc(64,((4*n+63)/64)*64);for(long i=0;i<n;i++)p[i]=((float)rand()/(float)RAND_MAX-.5f)*s;return p;}
static void *run(void*arg){
  long D=384,I=1536; float*h=mk(M*D,1),*qkv=mk(M*3*D,1),*ctx=mk(M*D,1),*att=mk(M*D,1),*ex=mk(M*I,1);
  double best=1e9;
  double gb=1e9; double gs[4]={0}; for(int rep=0;rep<3;rep++){double t=now(); double g=0;
   for(int it=0;it<iters;it++) for(int l=0;l<6;l++){
    double t0=now();
    zoo_packed_linear(h,M,D,W[l][0],3*D,B[l][0],NULL,qkv); double t1=now(); g+=t1-t0; gs[0]+=t1-t0;
    for(long i=0;i<M*D;i++) ctx[i]=qkv[(i/D)*3*D+i%D]*0.01f; // fake attention: touch
    t0=now();
    zoo_packed_linear(ctx,M,D,W[l][1],D,B[l][1],h,att); double ta=now(); gs[1]+=ta-t0;
    for(long c=0;c<M;c+=R){ long n=M-c<R?M-c:R; double x0=now();
      zoo_packed_linear_activated(att+c*D,n,D,W[l][2],I,B[l][2],NULL,ex,1); double x1=now(); gs[2]+=x1-x0;
      zoo_packed_linear(ex,n,I,W[l][3],D,B[l][3],att+c*D,h+c*D); double x2=now(); gs[3]+=x2-x1; }
    t1=now(); g+=t1-t0;
    for(long i=0;i<M*D;i++) h[i]=tanhf(h[i]); // keep bounded
   }
   best=fmin(best,now()-t); gb=fmin(gb,g);}
  double fl=2.0*M*(384*1152+384*384+384*1536+1536*384)*6*iters;
  printf("thread: %.1f GFLOP/s wall, GEMM %.1f GFLOP/s\n",fl/best/1e9, fl/gb/1e9);
  long sz[4]={384*1152,384*384,384*1536,1536*384}; const char*nm[4]={"Q/K/V","output","fc1+GELU","fc2"}; for(int q=0;q<4;q++) printf("  %s: %.1f GFLOP/s\n",nm[q],2.0*M*sz[q]*6*iters*3/gs[q]/1e9);
  return 0;}
int main(int argc,char**argv){ if(argc>1)M=atol(argv[1]); if(argc>2)R=atol(argv[2]);
  if(R<=0){ long t=(3<<19)/(1536*4); if(t<128)t=128; long p=(M+t-1)/t; R=((M+p-1)/p+7)/8*8; } /* as TransformerEncoderLayer.feedForwardChunks */
  long sh[4][2]={{1152,384},{384,384},{1536,384},{384,1536}};
  for(int l=0;l<6;l++)for(int g=0;g<4;g++){long N=sh[g][0],K=sh[g][1]; float*w=mk(N*K,0.1f); W[l][g]=aligned_alloc(64,4*zoo_packed_weights_count(N,K)); zoo_pack_weights(w,N,K,W[l][g]); free(w); B[l][g]=mk(N,0.1f);}
  pthread_t p[2]; for(int i=0;i<2;i++)pthread_create(&p[i],0,run,0); for(int i=0;i<2;i++)pthread_join(p[i],0);}
