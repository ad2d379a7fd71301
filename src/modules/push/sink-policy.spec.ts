import { isPublicAddress, SinkPolicy } from './sink-policy.js';

describe(SinkPolicy.name, () => {
  const policy = new SinkPolicy('127.0.0.1, receiver.internal', false);
  const production = new SinkPolicy('127.0.0.1', true);

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
      ['https://[::1]/hooks', 'public'],
      ['https://[fd00::1]/hooks', 'public'],
      ['https://[::ffff:10.0.0.1]/hooks', 'public'],
      ['https://0.0.0.0/hooks', 'public'],
      ['https://localhost/hooks', 'public'],
      ['http://127.0.0.2/hooks', 'https'],
      ['not a url', 'absolute'],
    ])('refuses %s', (sink, reason) => {
      expect(policy.refusal(sink)).toContain(reason);
    });

    it('refuses plain http even to an allowed loopback host in production', () => {
      expect(production.refusal('http://127.0.0.1:8080/hooks')).toContain('https');
      expect(production.refusal('https://127.0.0.1:8443/hooks')).toBeUndefined();
    });
  });

  describe('lookupFor', () => {
    it('refuses a name that resolves to a loopback address unless the host is allowed', async () => {
      const resolve = (host: string) =>
        new Promise<string>((done, fail) =>
          policy.lookupFor(host)('localhost', { family: 4 }, (error, address) => (error ? fail(error) : done(typeof address === 'string' ? address : ''))),
        );
      await expect(resolve('localhost')).rejects.toMatchObject({ code: 'ESINKDENIED' });
      await expect(resolve('127.0.0.1')).resolves.toBe('127.0.0.1');
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
