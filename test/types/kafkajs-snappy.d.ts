// Types for kafkajs-snappy (it ships none): a KafkaJS codec factory, registered with
// `CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec`.
declare module 'kafkajs-snappy' {
  const SnappyCodec: () => {
    compress(encoder: { buffer: Buffer }): Promise<Buffer>;
    decompress(buffer: Buffer): Promise<Buffer>;
  };
  export default SnappyCodec;
}
