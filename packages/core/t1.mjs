import * as tf from '@tensorflow/tfjs-core';
const be = process.argv[2] || 'wasm';
await import('@tensorflow/tfjs-backend-'+be);
await tf.setBackend(be);
console.log(tf.getBackend(), tf.env().getFlags());
const a = tf.randomNormal([256,192]); const w = tf.randomNormal([192,128]);
for (let i=0;i<50;i++){ tf.tidy(()=>tf.fused.matMul({a,b:w,activation:'relu'}).dataSync()); }
let t=performance.now(); for (let i=0;i<500;i++){ tf.tidy(()=>tf.fused.matMul({a,b:w,activation:'relu'})); } 
tf.tidy(()=>tf.fused.matMul({a,b:w}).dataSync());
console.log('ms/op', (performance.now()-t)/500);
const b = tf.randomNormal([1024,1024]);
t=performance.now(); for (let i=0;i<5;i++){ tf.tidy(()=>tf.matMul(b,b).dataSync()); } console.log('1024 gflops', 5*2*1024**3/((performance.now()-t)/1000)/1e9);
