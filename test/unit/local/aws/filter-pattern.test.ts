import { describe, expect, it } from 'vitest';
import { FilterPatternError, matchesFilter, parseFilterPattern } from '../../../../local/aws/filter-pattern.ts';
import { decodeAwsChunked } from '../../../../local/aws/s3.ts';

describe('the CloudWatch Logs filter-pattern subset', () => {
  it('parses terms, phrases with escapes, OR groups and exclusions', () => {
    expect(parseFilterPattern(undefined)).toEqual({ kind: 'all' });
    expect(parseFilterPattern('  ')).toEqual({ kind: 'all' });
    expect(parseFilterPattern('ERROR "said \\"no\\"" -WARN')).toEqual({ kind: 'and', include: ['ERROR', 'said "no"'], exclude: ['WARN'] });
    expect(parseFilterPattern('?"a b" ?c_1')).toEqual({ kind: 'or', anyOf: ['a b', 'c_1'] });
  });

  it('matches case-sensitively by substring', () => {
    const filter = parseFilterPattern('"load metadata" -Loaded');
    expect(matchesFilter(filter, 'Failed to load metadata from x')).toBe(true);
    expect(matchesFilter(filter, 'Failed to Load metadata')).toBe(false);
    expect(matchesFilter(filter, 'Loaded ... load metadata')).toBe(false);
    expect(matchesFilter(parseFilterPattern('?x ?y'), 'only y')).toBe(true);
  });

  it('refuses what CloudWatch refuses and what the stand-in does not implement, saying which', () => {
    expect(() => parseFilterPattern('a-b')).toThrow(/put it in double quotes/);
    expect(() => parseFilterPattern('"open')).toThrow(/unterminated/);
    expect(() => parseFilterPattern('"a"b')).toThrow(/followed by a space/);
    expect(() => parseFilterPattern('?a b')).toThrow(/every term must be/);
    expect(() => parseFilterPattern('- a')).toThrow(FilterPatternError);
    expect(() => parseFilterPattern('{ $.a = 1 }')).toThrow(/not JSON patterns/);
    expect(() => parseFilterPattern('[a, b]')).toThrow(/space-delimited/);
    expect(() => parseFilterPattern('%a.c%')).toThrow(/regular expression/);
  });
});

describe('aws-chunked bodies', () => {
  it('joins the chunks and reads the trailers', () => {
    const raw = Buffer.from('5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n');
    const { bytes, trailers } = decodeAwsChunked(raw);
    expect(bytes.toString()).toBe('hello world');
    expect(trailers.get('x-amz-checksum-crc32')).toBe('DUoRhQ==');
  });

  it('refuses a body shorter than its chunk sizes', () => {
    expect(() => decodeAwsChunked(Buffer.from('20\r\nshort\r\n0\r\n\r\n'))).toThrow(/shorter/);
  });
});
