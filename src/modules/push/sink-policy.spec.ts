import { isPublicAddress, SinkPolicy } from './sink-policy.js';

describe(SinkPolicy.name, () => {
  const policy = new SinkPolicy('127.0.0.1, receiver.internal', false);
  const unlisted = new SinkPolicy(undefined, false);
  const production = new SinkPolicy('127.0.0.1, receiver.internal', true);

  describe('refusal', () => {
    it.each([
      ['https://bank.example/hooks'],
      ['https://8.8.8.8/hooks'],
      ['http://127.0.0.1:8080/hooks'],
      ['https://receiver.internal/hooks'],
    ])('accepts %s', (sink) => {
      expect(policy.refusal(sink)).toBeUndefined();
    });

    it.each([
      ['ftp://bank.example/hooks', 'https'],
      ['http://bank.example/hooks', 'https'],
      ['https://user:pass@bank.example/hooks', 'user information'],
      ['https://10.0.0.8/hooks', 'public'],
      ['https://192.168.1.1/hooks', 'public'],
      ['https://169.254.169.254/latest/meta-data', 'public'],
      ['https://100.64.0.1/', 'public'],
      ['https://[fd00::1]/hooks', 'public'],
      ['https://[::ffff:10.0.0.1]/hooks', 'public'],
      ['https://0.0.0.0/hooks', 'public'],
      ['not a url', 'absolute'],
    ])('refuses %s', (sink, reason) => {
      expect(policy.refusal(sink)).toContain(reason);
    });

    it.each([
      ['http://127.0.0.1:8080/hooks'],
      ['http://127.0.0.2/hooks'],
      ['http://localhost:8080/hooks'],
      ['http://[::1]:8080/hooks'],
      ['https://localhost/hooks'],
      ['https://[::1]/hooks'],
    ])('accepts the loopback sink %s outside production without it being listed', (sink) => {
      expect(unlisted.refusal(sink)).toBeUndefined();
    });

    it.each([
      ['http://[::ffff:127.0.0.1]/hooks', 'https'],
      ['https://[::ffff:127.0.0.1]/hooks', 'public'],
      ['https://10.0.0.8/hooks', 'public'],
      ['http://receiver.internal/hooks', 'https'],
    ])('still refuses %s outside production when it is not listed', (sink, reason) => {
      expect(unlisted.refusal(sink)).toContain(reason);
    });

    it('refuses plain http in production, even to a listed loopback host', () => {
      expect(production.refusal('http://127.0.0.1:8080/hooks')).toContain('https');
      expect(production.refusal('http://localhost:8080/hooks')).toContain('https');
      expect(production.refusal('https://127.0.0.1:8443/hooks')).toBeUndefined();
      expect(production.refusal('https://receiver.internal/hooks')).toBeUndefined();
    });

    it('refuses an unlisted loopback sink in production', () => {
      expect(production.refusal('https://localhost/hooks')).toContain('public');
      expect(production.refusal('https://127.0.0.2/hooks')).toContain('public');
      expect(production.refusal('https://[::1]/hooks')).toContain('public');
    });
  });

  describe('lookupFor', () => {
    const resolveWith = (chosen: SinkPolicy, host: string) =>
      new Promise<string>((done, fail) => {
        chosen.lookupFor(host)('localhost', { family: 4 }, (error, address) => {
          if (error) fail(error);
          else done(typeof address === 'string' ? address : '');
        });
      });

    it('refuses a name that resolves to a loopback address in production unless the host is allowed', async () => {
      await expect(resolveWith(production, 'localhost')).rejects.toMatchObject({
        code: 'ESINKDENIED',
      });
      await expect(resolveWith(production, 'bank.example')).rejects.toMatchObject({
        code: 'ESINKDENIED',
      });
      await expect(resolveWith(production, '127.0.0.1')).resolves.toBe('127.0.0.1');
    });

    it('lets localhost reach loopback outside production, but not a public name resolving to loopback', async () => {
      await expect(resolveWith(unlisted, 'localhost')).resolves.toBe('127.0.0.1');
      await expect(resolveWith(unlisted, 'bank.example')).rejects.toMatchObject({
        code: 'ESINKDENIED',
      });
    });

    it('never lets a loopback host reach a private address', () => {
      expect(unlisted.mayConnect('localhost', '10.0.0.8')).toBe(false);
      expect(unlisted.mayConnect('localhost', '127.0.0.1')).toBe(true);
      expect(production.mayConnect('localhost', '127.0.0.1')).toBe(false);
    });
  });

  it('counts only global unicast addresses as public', () => {
    expect(isPublicAddress('93.184.216.34')).toBe(true);
    expect(isPublicAddress('2001:4860:4860::8888')).toBe(true);
    expect(isPublicAddress('127.0.0.1')).toBe(false);
    expect(isPublicAddress('fe80::1')).toBe(false);
    expect(isPublicAddress('nonsense')).toBe(false);
  });
});
