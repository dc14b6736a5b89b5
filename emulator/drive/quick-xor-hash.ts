// QuickXorHash, the content hash OneDrive for Business reports in file.hashes.quickXorHash:
// every byte is XORed into a 160-bit circular register at a position advancing 11 bits per byte,
// then the input length (64-bit little-endian) is XORed into the register's last 8 bytes.
const WIDTH_BITS = 160;
const WIDTH_BYTES = WIDTH_BITS / 8;
const SHIFT = 11;

export function quickXorHash(data: Uint8Array): string {
  const register = new Uint8Array(WIDTH_BYTES);
  let bit = 0;
  for (let i = 0; i < data.length; i++) {
    const byteIndex = bit >> 3;
    const value = data[i]! << (bit & 7);
    register[byteIndex] = register[byteIndex]! ^ (value & 0xff);
    // The high part spills into the next byte, wrapping past bit 159 to bit 0.
    const next = (byteIndex + 1) % WIDTH_BYTES;
    register[next] = register[next]! ^ (value >> 8);
    bit = (bit + SHIFT) % WIDTH_BITS;
  }
  let length = BigInt(data.length);
  for (let i = WIDTH_BYTES - 8; i < WIDTH_BYTES; i++) {
    register[i] = register[i]! ^ Number(length & 0xffn);
    length >>= 8n;
  }
  return Buffer.from(register).toString('base64');
}
