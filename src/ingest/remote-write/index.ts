export { createRemoteWriteHandler, HEADER_EXEMPLARS_WRITTEN, HEADER_HISTOGRAMS_WRITTEN, HEADER_SAMPLES_WRITTEN } from './handler.js';
export type { RemoteWriteHandlerDeps } from './handler.js';
export { decodeWriteRequestV1 } from './decode-v1.js';
export { decodeWriteRequestV2 } from './decode-v2.js';
export type { DecodedWriteRequest, RemoteWriteVersion } from './types.js';
export { checkContentEncoding, contentTypeFor, remoteWriteVersionOf } from './content-type.js';
export {
  compressBlock,
  decompressBlock,
  nativeSnappyAvailable,
  snappyDecodedLength,
  snappyImplementation,
} from './snappy.js';
export type { SnappyImplementationName } from './snappy.js';
export { encodeWriteRequestV1, encodeWriteRequestV2, toWriteRequestV2 } from './encode.js';
export type {
  ExemplarV2Input,
  HistogramV2Input,
  LabelInput,
  MetadataV2Input,
  SampleInput,
  SampleV2Input,
  SeriesInput,
  TimeSeriesV1Input,
  TimeSeriesV2Input,
  WriteRequestV1Input,
  WriteRequestV2Input,
} from './encode.js';
export { ProtoWriter } from './proto-writer.js';
export { ProtoReader, ProtoError } from './protobuf-reader.js';
export { isValidLabelName } from './labels.js';
