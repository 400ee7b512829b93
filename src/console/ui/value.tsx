// Thread: browser. Shows a key, header or value as the server formatted it (value-format.ts).
export type FormattedValue =
  | { kind: 'null' }
  | { kind: 'json'; size: number; text: string; truncated: boolean; schemaId?: number }
  | { kind: 'text'; size: number; text: string; truncated: boolean }
  | { kind: 'schema'; size: number; schemaId: number; hex: string; truncated: boolean; error?: string }
  | { kind: 'hex'; size: number; hex: string; truncated: boolean };

function spaced(hex: string): string {
  return hex.replace(/(..)(?!$)/g, '$1 ');
}

export function Value({ v }: { v: FormattedValue }) {
  switch (v.kind) {
    case 'null':
      return <span class="muted">null</span>;
    case 'json':
      return (
        <div>
          {v.schemaId !== undefined && <span class="kind">schema id {v.schemaId}</span>}
          <pre class="json">{v.text}</pre>
        </div>
      );
    case 'text':
      return <pre>{v.text + (v.truncated ? ` … (${v.size} bytes)` : '')}</pre>;
    case 'schema':
      return (
        <div>
          <span class="kind">schema id {v.schemaId}</span>
          {v.error !== undefined && <span class="error"> {v.error}</span>}
          <pre class="hex">{spaced(v.hex) + (v.truncated ? ` … (${v.size} bytes)` : '')}</pre>
        </div>
      );
    case 'hex':
      return (
        <div>
          <span class="kind">binary, {v.size} bytes</span>
          <pre class="hex">{spaced(v.hex) + (v.truncated ? ' …' : '')}</pre>
        </div>
      );
  }
}
