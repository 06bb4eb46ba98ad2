export { serviceMain, type ServiceContext, type ServiceMainOptions } from './service-main.js';
