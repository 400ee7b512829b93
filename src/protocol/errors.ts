// Thread: either. Error types raised by the wire-protocol codec layer.

/** Thrown by Reader / FrameDecoder / generated decoders on malformed or truncated input. */
export class ProtocolDecodeError extends Error {
  readonly code = 'STRATA_ERR_DECODE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolDecodeError';
  }
}

/** Thrown by generated encoders when a message cannot be represented in the requested version. */
export class ProtocolEncodeError extends Error {
  readonly code = 'STRATA_ERR_ENCODE' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolEncodeError';
  }
}

/** Thrown by FrameDecoder when a frame's size prefix is negative or exceeds maxFrameBytes. */
export class FrameTooLargeError extends ProtocolDecodeError {
  constructor(
    readonly frameSize: number,
    readonly maxFrameBytes: number,
  ) {
    super(`frame size ${frameSize} outside [0, ${maxFrameBytes}]`);
    this.name = 'FrameTooLargeError';
  }
}
