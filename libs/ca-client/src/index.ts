export { CA_PROTO_PATH, CA_SERVICE_NAME, caServiceDefinition, createCaGrpcClient, type IstioCertificateRequest, type IstioCertificateResponse, type IstioCertificateServiceClient } from './service.ts';
export { requestCertificate, CaRequestError, type CaEndpoint, type IssuedCertificate, type RequestCertificateOptions } from './client.ts';
export { CertificateManager, type CertificateManagerOptions, type CertificateManagerEvents, type RetryPolicy } from './manager.ts';
